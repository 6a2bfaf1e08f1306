using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using TLDsl.Spec.Catalogue;
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
        var outputs = StepOutputs(architecture, children);
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
        // The features once the classifier is dropped: the output of the last step before it (a cut keeps the
        // functional steps that follow the last kept child).
        int end = classifierChild is null ? outputs.Count : outputs.FindIndex(o => o.Step.Kind == LayoutStepKind.Child && o.Step.Name == classifierChild);
        long featureSize = end > 0 ? outputs[end - 1].Shape.Aggregate(1L, (a, b) => a * b) : 0;
        yaml.Append(Inv($"feature_size: {featureSize}\n"));
        yaml.Append("classifier: [").Append(classifierChild ?? "").Append("]\n");
        yaml.Append("stages: [").Append(string.Join(", ", Stages(architecture, children).Select(s => "[" + string.Join(", ", s) + "]"))).Append("]\n");
        yaml.Append("children:\n");
        var minimumSizes = MinimumSizes(architecture, children);
        foreach (var (step, shape) in outputs.Where(o => o.Step.Kind == LayoutStepKind.Child))
        {
            yaml.Append(Inv($"  - {{name: {step.Name}, kind: {Kind(children[step.Name])}, {Output(shape)}, min_size: {minimumSizes[step.Name]}}}\n"));
        }
        yaml.Append("layout:\n");
        foreach (var (step, shape) in outputs)
        {
            yaml.Append(step.Kind == LayoutStepKind.Child
                ? Inv($"  - {step.Name}\n")
                : Inv($"  - {{name: {step.Name}, {Output(shape)}}}\n"));
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

    /// <summary>Each layout step with its own per-sample output shape, at the architecture's default input size.</summary>
    private static List<(LayoutStep Step, long[] Shape)> StepOutputs(BaseArchitecture architecture, Dictionary<string, Module> children)
    {
        var result = new List<(LayoutStep, long[])>();
        var x = zeros(1, architecture.InputChannels, architecture.DefaultInputSize, architecture.DefaultInputSize);
        foreach (var step in architecture.Layout)
        {
            x = step.Run(x, name => (Module<Tensor, Tensor>)children[name]);
            result.Add((step, x.shape.Skip(1).ToArray()));
        }
        return result;
    }

    /// <summary>
    /// For each child, the smallest square input that the forward pass up to and including it accepts, found by
    /// running it: validation refuses smaller <c>input.size</c> sides at build time instead of libtorch failing at the
    /// first batch. A longer prefix never accepts less, so the search goes on from the previous child's answer.
    /// </summary>
    private static Dictionary<string, int> MinimumSizes(BaseArchitecture architecture, Dictionary<string, Module> children)
    {
        var result = new Dictionary<string, int>(StringComparer.Ordinal);
        int size = 1;
        for (int end = 0; end < architecture.Layout.Count; end++)
        {
            if (architecture.Layout[end].Kind != LayoutStepKind.Child)
            {
                continue;
            }
            while (!Runs(architecture, children, end, size))
            {
                if (++size > architecture.DefaultInputSize)
                {
                    throw new InvalidOperationException($"{architecture.Name}: the forward pass up to '{architecture.Layout[end].Name}' fails even at its default input size {architecture.DefaultInputSize}");
                }
            }
            result[architecture.Layout[end].Name] = size;
        }
        return result;
    }

    private static bool Runs(BaseArchitecture architecture, Dictionary<string, Module> children, int end, int size)
    {
        using var scope = NewDisposeScope();
        try
        {
            var x = zeros(1, architecture.InputChannels, size, size);
            for (int i = 0; i <= end; i++)
            {
                x = architecture.Layout[i].Run(x, name => (Module<Tensor, Tensor>)children[name]);
            }
            return x.shape.All(d => d > 0);
        }
        catch (ExternalException)
        {
            return false; // libtorch: "Output size is too small", "Kernel size can't be greater than actual input size"
        }
    }

    /// <summary>A step's output as the catalogue records it: channels, and whether it is a map (also 1x1) or a vector.</summary>
    private static string Output(long[] shape) => Inv($"out_channels: {shape[0]}, spatial: {(shape.Length == 3 ? "true" : "false")}");

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
