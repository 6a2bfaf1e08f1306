using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using TLDsl.Spec.Catalogue;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Onnx.Import;

/// <summary>
/// Writes an imported ONNX graph's layers in TLDsl.Spec's catalogue format (see TLDsl.Spec's CatalogueReader), so
/// the generator and validator can check a pipeline's layer names at build time
/// (<c>base: { onnx: model.onnx, layers: model.onnx.layers.yaml }</c>). <c>children</c> lists every layer (node) in run
/// order with the ONNX op as its kind; <c>modules</c> lists the layers that hold a module (Conv2d, Linear,
/// BatchNorm2d, Dropout) with their parameters and buffers; <c>stages</c> and <c>classifier</c> are the importer's
/// proposals; <c>feature_size</c> is the flattened size of the classifier's input (of the output when headless).
/// </summary>
public static class OnnxLayerListing
{
    /// <summary>The listing of an ONNX model (imported for the occasion).</summary>
    /// <param name="model">The model.</param>
    /// <param name="height">Input height; the declared one (or 224) when null.</param>
    /// <param name="width">Input width; the declared one (or 224) when null.</param>
    public static string Write(OnnxModel model, int? height = null, int? width = null)
    {
        using var module = OnnxImporter.Import(model);
        return Write(module, height, width);
    }

    /// <summary>The listing of an imported graph.</summary>
    /// <param name="module">The imported graph.</param>
    /// <param name="height">Input height; the declared one (or 224) when null.</param>
    /// <param name="width">Input width; the declared one (or 224) when null.</param>
    public static string Write(OnnxGraphModule module, int? height = null, int? width = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        int h = height ?? module.DefaultHeight, w = width ?? module.DefaultWidth;
        var shapes = module.ProbeShapes(h, w);
        var stages = module.ProposeStages(h, w);
        var name = OnnxGraph.Sanitize(Path.GetFileNameWithoutExtension(module.Model.FilePath), "onnx", 0);
        long featureSize = 0;
        if (module.Classifier is { } classifier)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var features = module.Before(classifier);
            var shapesBefore = features.ProbeShapes(h, w);
            var last = features.Layers.Count > 0 ? features.Layers[^1] : null;
            featureSize = last is not null && shapesBefore.TryGetValue(last.Name, out var s) ? PerSample(s) : 0;
        }
        else if (module.Layers.Count > 0 && shapes.TryGetValue(module.Layers[^1].Name, out var s))
        {
            featureSize = PerSample(s);
        }

        var yaml = new StringBuilder();
        yaml.Append("# Generated from the ONNX graph by TLDsl.Runtime's OnnxLayerListing (`tldsl inspect model.onnx`); do not edit.\n");
        yaml.Append("name: ").Append(name).Append('\n');
        yaml.Append("family: ").Append(CatalogueReader.OnnxFamily).Append('\n');
        yaml.Append(Inv($"input: {{size: [{h}, {w}], channels: {module.InputChannels}}}\n"));
        yaml.Append("weights: {}\n");
        yaml.Append(Inv($"feature_size: {featureSize}\n"));
        yaml.Append("classifier: [").Append(module.Classifier ?? "").Append("]\n");
        yaml.Append("stages: [").Append(string.Join(", ", stages.Select(st => "[" + string.Join(", ", st) + "]"))).Append("]\n");
        yaml.Append("children:\n");
        foreach (var layer in module.Layers)
        {
            var shape = shapes.TryGetValue(layer.Name, out var s) ? s : [];
            // Per-sample shape of a batched value; shape arithmetic (no batch dimension) reports 0 channels.
            bool batched = shape.Length >= 2 && shape[0] == 1;
            long channels = batched ? shape[1] : 0;
            bool spatial = batched && shape.Length == 4;
            yaml.Append(Inv($"  - {{name: {layer.Name}, kind: {layer.OpType}, out_channels: {channels}, spatial: {(spatial ? "true" : "false")}}}\n"));
        }

        yaml.Append("modules:\n");
        foreach (var layer in module.Layers.Where(l => l.Module is not null))
        {
            Models.CatalogueExporter.AppendModule(yaml, layer.Name, layer.Module!);
        }

        return yaml.ToString();
    }

    private static long PerSample(long[] shape) => shape.Skip(1).Aggregate(1L, (a, b) => a * b);

    private static string Shape(long[] shape) => "[" + string.Join(", ", shape.Select(s => s.ToString(CultureInfo.InvariantCulture))) + "]";

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
