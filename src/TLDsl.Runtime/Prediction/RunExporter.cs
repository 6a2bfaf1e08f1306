using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using TLDsl.Inference;
using TLDsl.Runtime.IO;
using TLDsl.Runtime.Onnx.Export;
using TLDsl.Runtime.Pipelines;
using TLDsl.Runtime.Surgery;
using TLDsl.Spec.Registries;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Prediction;

/// <summary>What <see cref="RunExporter.Export"/> wrote.</summary>
/// <param name="Folder">The export folder.</param>
/// <param name="Files">The files written, full paths.</param>
/// <param name="Checkpoint">The checkpoint the weights came from.</param>
/// <param name="Tensors">Number of tensors in the state dict.</param>
public sealed record ExportResult(string Folder, IReadOnlyList<string> Files, string Checkpoint, int Tensors);

/// <summary>Exports a run's trained model for other tools: <c>model.safetensors</c> (the state dict with the base model's
/// own key names and the added layers under <c>head.N</c>), the run's pipeline, <c>labels.txt</c> and a README saying
/// how to load the weights in PyTorch.</summary>
public static class RunExporter
{
    /// <summary>Exports the run in <paramref name="runPath"/> to <paramref name="outDir"/> (created if needed; existing
    /// files of the same names are replaced).</summary>
    public static ExportResult Export(string runPath, string outDir, CheckpointChoice checkpoint = CheckpointChoice.Best)
    {
        ArgumentException.ThrowIfNullOrEmpty(outDir);
        using var run = RunModel.Open(runPath, checkpoint);
        Directory.CreateDirectory(outDir);
        string weights = Path.Combine(outDir, "model.safetensors");
        string pipeline = Path.Combine(outDir, "pipeline.tl.yaml");
        string labels = Path.Combine(outDir, "labels.txt");
        string readme = Path.Combine(outDir, "README.md");

        var state = run.Model.state_dict();
        // Each file whole or not at all: a fixed ".tmp" name written without truncation kept the tail of an
        // interrupted larger export, which strict readers refuse.
        AtomicFile.Write(weights, stream => Safetensors.SaveStateDict(stream, state, leaveOpen: true));
        AtomicFile.WriteAllText(pipeline, run.Pipeline.Text);
        AtomicFile.WriteAllText(labels, string.Concat(run.Labels.Select(l => l + "\n")));
        AtomicFile.WriteAllText(readme, Readme(run, state));
        return new ExportResult(Path.GetFullPath(outDir), new[] { weights, pipeline, labels, readme }.Select(Path.GetFullPath).ToArray(),
            run.Checkpoint, state.Count);
    }

    /// <summary>Exports the run in <paramref name="runPath"/> as <c>model.onnx</c> (with TLDsl's metadata: labels,
    /// input, normalisation, pipeline hash) and <c>labels.txt</c> to <paramref name="outDir"/>. The model is built in
    /// memory first, so a module the exporter does not know fails before anything is written; each file is written
    /// atomically.</summary>
    /// <param name="runPath">The run folder.</param>
    /// <param name="outDir">The export folder (created if needed).</param>
    /// <param name="checkpoint">Which checkpoint.</param>
    /// <param name="layout">The graph input: normalised NCHW floats (default), or [0, 1] NCHW floats / uint8 NHWC
    /// pixels with the normalisation in the graph.</param>
    /// <exception cref="OnnxExportException">A module cannot be exported, or the folder cannot be written.</exception>
    public static ExportResult ExportOnnx(string runPath, string outDir, CheckpointChoice checkpoint = CheckpointChoice.Best,
        OnnxInputLayout layout = OnnxInputLayout.NormalizedNchw)
    {
        ArgumentException.ThrowIfNullOrEmpty(outDir);
        using var run = RunModel.Open(runPath, checkpoint);
        var proto = OnnxExporter.Build(run.Model, OnnxInfo(run, layout));
        string model = Path.Combine(outDir, "model.onnx");
        string labels = Path.Combine(outDir, "labels.txt");
        OnnxExporter.Write(proto, model);
        try
        {
            AtomicFile.WriteAllText(labels, string.Concat(run.Labels.Select(l => l + "\n")));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            File.Delete(model); // not one file without the other
            throw new OnnxExportException($"cannot write '{Path.GetFullPath(labels)}': {e.Message}", e);
        }

        return new ExportResult(Path.GetFullPath(outDir), new[] { model, labels }.Select(Path.GetFullPath).ToArray(),
            run.Checkpoint, proto.Graph.Initializer.Count);
    }

    /// <summary>The ONNX metadata of a run's model: its labels, the pipeline's input and the evaluation preprocessing.</summary>
    public static OnnxModelInfo OnnxInfo(RunModel run, OnnxInputLayout layout = OnnxInputLayout.NormalizedNchw)
    {
        ArgumentNullException.ThrowIfNull(run);
        var evaluation = run.Preprocessor.Evaluation;
        return new OnnxModelInfo
        {
            Labels = run.Labels,
            Height = evaluation.Height,
            Width = evaluation.Width,
            Channels = evaluation.Channels,
            Layout = layout,
            Scale = evaluation.Scale,
            Shift = evaluation.Shift,
            ReverseChannels = evaluation.ReverseChannels,
            PixelShift = evaluation.PixelShift,
            NormalizationDescription = Describe(run.Preprocessor.Normalization),
            PipelineSha256 = run.Pipeline.Hash,
            PipelineName = run.Pipeline.Spec.Name,
            Version = OnnxExporter.Version,
        };
    }

    /// <summary>"Pipeline/time", the run folder's last two names: a path given with a trailing separator (as shells
    /// complete folders) has an empty file name.</summary>
    internal static string RunName(string runPath)
    {
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(runPath));
        string? parent = Path.GetDirectoryName(full);
        return parent is null ? Path.GetFileName(full) : Path.GetFileName(parent) + "/" + Path.GetFileName(full);
    }

    private static string Readme(RunModel run, Dictionary<string, Tensor> state)
    {
        var c = CultureInfo.InvariantCulture;
        var spec = run.Pipeline.Spec;
        var architecture = run.Model.Architecture;
        var plan = PipelineInterpreter.ModelPlan(run.Pipeline, run.Labels);
        var text = new StringBuilder();
        text.Append(c, $"# {spec.Name}\n\n");
        text.Append(c, $"Exported by `tldsl export` from the run `{RunName(run.Run.Path)}` (checkpoint `{Path.GetFileName(Path.TrimEndingDirectorySeparator(run.Checkpoint))}`).\n\n");
        text.Append("| File | Content |\n|---|---|\n");
        text.Append(c, $"| `model.safetensors` | {state.Count} tensors: the base model `{architecture.Name}` under its own key names, the added layers under `head.N` |\n");
        text.Append("| `pipeline.tl.yaml` | The pipeline that trained it |\n");
        text.Append(c, $"| `labels.txt` | The {run.Labels.Count} class names, one per line, in output order |\n\n");

        text.Append("## Input\n\n");
        text.Append(c, $"Images resized to {spec.Input.Height}x{spec.Input.Width}, {(run.Preprocessor.Channels == 1 ? "1 channel (colour turned to gray)" : "3 channels (grayscale repeated)")}, normalised as `{Describe(run.Preprocessor.Normalization)}`. ");
        text.Append("The model outputs one logit per label; apply softmax for probabilities.\n\n");

        text.Append("## Load in PyTorch\n\n```python\nimport collections\nimport torch\nimport torchvision\nfrom safetensors.torch import load_file\n\n");
        text.Append("state = load_file(\"model.safetensors\")\n");
        text.Append(c, $"backbone = {TorchvisionConstructor(architecture.Name)}\n");
        foreach (var dropped in run.Model.Cut.Dropped)
        {
            text.Append(c, $"backbone.{Python(dropped)} = torch.nn.Identity()  # dropped by the pipeline\n");
        }
        text.Append("backbone.load_state_dict({k: v for k, v in state.items() if not k.startswith(\"head.\")}, strict=False)\n");
        foreach (var definition in plan.Head.Select(l => HeadLayers.Of(l.Kind).PyTorchDefinition).OfType<string>().Distinct())
        {
            text.Append(definition).Append('\n');
        }
        text.Append("head = torch.nn.Sequential(\n");
        for (int i = 0; i < plan.Head.Count; i++)
        {
            text.Append("    ").Append(PythonLayer(plan.Head[i], i, state)).Append(',');
            text.Append(HeadLayers.Of(plan.Head[i].Kind).PyTorchNote is { } note ? "  # " + note + "\n" : "\n");
        }
        text.Append(")\n");
        text.Append("head.load_state_dict({k[len(\"head.\"):]: v for k, v in state.items() if k.startswith(\"head.\")})\n");
        text.Append("model = torch.nn.Sequential(backbone, head).eval()\n```\n\n");
        text.Append("`strict=False` on the backbone only tolerates the keys of the dropped layers; compare the returned missing/unexpected keys with that list. ");
        text.Append("The backbone's functional steps (pooling, flatten) follow the torchvision module's own `forward`.\n");
        return text.ToString();
    }

    private static string TorchvisionConstructor(string name) => name switch
    {
        "resnet18_imagenet" => "torchvision.models.resnet.ResNet(torchvision.models.resnet.BasicBlock, [2, 2, 2, 3])\nbackbone.fc = torch.nn.Identity()  # headless: the features are the 512 pooled values",
        // small_cnn is not in torchvision; a Sequential with the same child names has the same state-dict keys.
        "small_cnn" => "torch.nn.Sequential(collections.OrderedDict([\n"
            + "    (\"conv1\", torch.nn.Conv2d(1, 32, 3, padding=1, bias=False)), (\"bn1\", torch.nn.BatchNorm2d(32)), (\"relu1\", torch.nn.ReLU()), (\"pool1\", torch.nn.MaxPool2d(2)),\n"
            + "    (\"conv2\", torch.nn.Conv2d(32, 64, 3, padding=1, bias=False)), (\"bn2\", torch.nn.BatchNorm2d(64)), (\"relu2\", torch.nn.ReLU()), (\"pool2\", torch.nn.MaxPool2d(2)),\n"
            + "    (\"conv3\", torch.nn.Conv2d(64, 128, 3, padding=1, bias=False)), (\"bn3\", torch.nn.BatchNorm2d(128)), (\"relu3\", torch.nn.ReLU()),\n"
            + "    (\"avgpool\", torch.nn.AdaptiveAvgPool2d(1)), (\"flatten\", torch.nn.Flatten()), (\"classifier\", torch.nn.Linear(128, 10))]))",
        _ => $"torchvision.models.{name}()",
    };

    private static string Python(string moduleName) =>
        string.Join("", moduleName.Split('.').Select((part, i) => part.All(char.IsAsciiDigit) ? $"[{part}]" : (i == 0 ? part : "." + part)));

    /// <summary>The layer in PyTorch, from the head layer registry: its sizes come from the exported weights.</summary>
    private static string PythonLayer(HeadLayer layer, int index, Dictionary<string, Tensor> state) =>
        HeadLayers.Of(layer.Kind).PyTorchFor(state.TryGetValue(string.Create(CultureInfo.InvariantCulture, $"head.{index}.weight"), out var w) ? w.shape : [],
            layer.Probability, layer.Bias);

    internal static string Describe(Models.Normalization normalization) => normalization switch
    {
        Models.MeanStdNormalization m => $"RGB in [0, 1], minus mean [{List(m.Mean)}], divided by std [{List(m.Std)}]",
        Models.BgrMeanNormalization b => $"RGB in [0, 255] reordered to BGR, minus mean [{List(b.BgrMean)}]",
        _ => normalization.GetType().Name,
    };

    private static string List(float[] values) => string.Join(", ", values.Select(v => v.ToString("G6", CultureInfo.InvariantCulture)));
}
