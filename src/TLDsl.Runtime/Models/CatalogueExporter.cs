using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TLDsl.Runtime.Models;

/// <summary>
/// Writes an architecture's structure in TLDsl.Spec's catalogue format (see TLDsl.Spec's CatalogueReader), from the
/// real TorchSharp module: the generator checks pipelines against these files at build time, and a test fails when a
/// committed file and the module tree differ.
/// </summary>
public static class CatalogueExporter
{
    /// <summary>The catalogue YAML of <paramref name="architecture"/>.</summary>
    public static string Export(BaseArchitecture architecture)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var module = architecture.Create();
        module.eval();
        var children = module.named_children().ToDictionary(c => c.name, c => c.module);
        var outputs = ChildOutputs(architecture, children, architecture.DefaultInputSize);
        string? classifierChild = architecture.Classifier?.Split('.')[0];

        var yaml = new StringBuilder();
        yaml.Append("# Generated from the TorchSharp module by TLDsl.Runtime's CatalogueExporter (`tldsl catalogue`); do not edit.\n");
        yaml.Append("# ").Append(architecture.Description).Append('\n');
        yaml.Append("name: ").Append(architecture.Name).Append('\n');
        yaml.Append("family: ").Append(architecture.Family).Append('\n');
        yaml.Append(Inv($"input: {{size: [{architecture.DefaultInputSize}, {architecture.DefaultInputSize}], channels: {architecture.InputChannels}}}\n"));
        if (architecture.Weights.Count == 0)
        {
            yaml.Append("weights: {}\n");
        }
        else
        {
            yaml.Append("weights:\n");
            foreach (var w in architecture.Weights)
            {
                yaml.Append("  ").Append(w.Name).Append(":\n    normalize: ").Append(Normalize(w.Normalization)).Append('\n');
            }
        }
        var last = outputs.LastOrDefault(o => o.Name != classifierChild && IsBefore(architecture, o.Name, classifierChild));
        long featureSize = last.Shape is null ? 0 : last.Shape.Aggregate(1L, (a, b) => a * b);
        yaml.Append(Inv($"feature_size: {featureSize}\n"));
        yaml.Append("classifier: [").Append(classifierChild ?? "").Append("]\n");
        yaml.Append("stages: [").Append(string.Join(", ", Stages(architecture, children).Select(s => "[" + string.Join(", ", s) + "]"))).Append("]\n");
        yaml.Append("children:\n");
        foreach (var (name, shape) in outputs)
        {
            yaml.Append(Inv($"  - {{name: {name}, kind: {Kind(children[name])}, out_channels: {shape[0]}, spatial: {(shape.Length == 3 ? "true" : "false")}}}\n"));
        }
        yaml.Append("modules:\n");
        foreach (var (name, m) in module.named_modules().Where(m => m.name.Length > 0))
        {
            AppendModule(yaml, name, m);
        }
        return yaml.ToString();
    }

    /// <summary>One <c>modules:</c> entry: name, kind, and the module's own parameter and buffer shapes. Shared with
    /// the ONNX layer listing so both files have exactly one format.</summary>
    internal static void AppendModule(StringBuilder yaml, string name, Module m)
    {
        yaml.Append("  - {name: ").Append(name).Append(", kind: ").Append(Kind(m));
        var ps = m.named_parameters(recurse: false).ToList();
        if (ps.Count > 0)
        {
            yaml.Append(", params: {").Append(string.Join(", ", ps.Select(p => $"{p.name}: {Shape(p.parameter.shape)}"))).Append('}');
        }
        var bs = m.named_buffers(recurse: false).ToList();
        if (bs.Count > 0)
        {
            yaml.Append(", buffers: {").Append(string.Join(", ", bs.Select(b => $"{b.name}: {Shape(b.buffer.shape)}"))).Append('}');
        }
        yaml.Append("}\n");
    }

    private static bool IsBefore(BaseArchitecture architecture, string name, string? other)
    {
        if (other is null)
        {
            return true;
        }
        var names = architecture.Layout.Where(s => s.Kind == LayoutStepKind.Child).Select(s => s.Name).ToList();
        return names.IndexOf(name) < names.IndexOf(other);
    }

    /// <summary>Per-sample output shape of each layout child, after any functional steps that directly follow it.</summary>
    private static List<(string Name, long[] Shape)> ChildOutputs(BaseArchitecture architecture, Dictionary<string, Module> children, int size)
    {
        var result = new List<(string, long[])>();
        var x = zeros(1, architecture.InputChannels, size, size);
        string? current = null;
        foreach (var step in architecture.Layout)
        {
            x = step.Kind switch
            {
                LayoutStepKind.Child => ((Module<Tensor, Tensor>)children[step.Name]).call(x),
                LayoutStepKind.GlobalAveragePool => functional.adaptive_avg_pool2d(x, [1, 1]),
                _ => x.flatten(1),
            };
            if (step.Kind == LayoutStepKind.Child)
            {
                if (current is not null)
                {
                    result[^1] = (result[^1].Item1, result[^1].Item2);
                }
                result.Add((step.Name, x.shape.Skip(1).ToArray()));
                current = step.Name;
            }
            else if (current is not null)
            {
                result[^1] = (current, x.shape.Skip(1).ToArray());
            }
        }
        return result;
    }

    /// <summary>Stages for <c>first_stages: N</c>: ResNets by their stem and layers; models with a <c>features</c>
    /// Sequential by resolution — a new stage starts at each block that halves the feature map.</summary>
    private static List<List<string>> Stages(BaseArchitecture architecture, Dictionary<string, Module> children)
    {
        if (architecture.Stages is not null)
        {
            return architecture.Stages.Select(s => s.ToList()).ToList();
        }
        if (architecture.Family == "resnet")
        {
            return [["conv1", "bn1", "relu", "maxpool"], ["layer1"], ["layer2"], ["layer3"], ["layer4"]];
        }
        var stages = new List<List<string>>();
        var features = (Sequential)children["features"];
        var x = zeros(1, architecture.InputChannels, architecture.DefaultInputSize, architecture.DefaultInputSize);
        List<string>? stage = null;
        foreach (var (name, m) in features.named_children())
        {
            long before = x.shape[2];
            x = ((Module<Tensor, Tensor>)m).call(x);
            bool pool = m is MaxPool2d;
            if (stage is null || (x.shape[2] < before && !pool))
            {
                stage = [];
                stages.Add(stage);
            }
            stage.Add($"features.{name}");
            if (pool)
            {
                stage = null; // a pooling layer closes its stage (VGG, AlexNet)
            }
        }
        return stages;
    }

    private static string Kind(Module m) => m.GetType().Name;

    private static string Normalize(Normalization n) => n switch
    {
        BgrMeanNormalization b => $"{{bgr_mean: {Floats(b.BgrMean)}}}",
        MeanStdNormalization s => $"{{mean: {Floats(s.Mean)}, std: {Floats(s.Std)}}}",
        _ => "{}",
    };

    private static string Floats(float[] values) => "[" + string.Join(", ", values.Select(v => ((double)(decimal)v).ToString("R", CultureInfo.InvariantCulture))) + "]";

    private static string Shape(long[] shape) => "[" + string.Join(", ", shape.Select(s => s.ToString(CultureInfo.InvariantCulture))) + "]";

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
