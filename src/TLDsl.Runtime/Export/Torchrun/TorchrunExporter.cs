using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text;
using TLDsl.Runtime.Native;
using TLDsl.Runtime.Pipelines;
using TLDsl.Runtime.Surgery;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Export.Torchrun;

/// <summary>What <see cref="TorchrunExporter.Export"/> wrote.</summary>
/// <param name="Folder">The program's folder.</param>
/// <param name="Files">The files in it, full paths.</param>
/// <param name="TrainSamples">Training samples the program will train on.</param>
/// <param name="TrainedParameters">Parameters some phase trains.</param>
public sealed record TorchrunExportResult(string Folder, IReadOnlyList<string> Files, int TrainSamples, int TrainedParameters);

/// <summary>
/// Writes a self-contained PyTorch DistributedDataParallel program for a pipeline (<c>tldsl export &lt;pipeline&gt;
/// --target torchrun</c>): <c>train.py</c> and <c>tldsl_support.py</c> (the repository's own files, unchanged),
/// <c>pipeline.json</c> (the pipeline as TLDsl resolves it), <c>pipeline.tl.yaml</c> (its text, copied into each run),
/// <c>weights.safetensors</c> (the model TLDsl would start training from: the base model's pre-trained weights under
/// its own state-dict keys, the head initialised from the pipeline's seed under <c>head.N</c>) and, for weights bound
/// to a mean image, <c>preprocess.safetensors</c>. Features the program cannot express are refused by key before
/// anything is written; the folder appears whole or not at all.
/// </summary>
public static class TorchrunExporter
{
    /// <summary>The program's own files, embedded in this assembly.</summary>
    public static readonly IReadOnlyList<string> ProgramFiles = ["train.py", "tldsl_support.py"];

    /// <summary>Exports the pipeline at <paramref name="pipelinePath"/> into <paramref name="outDir"/>, which must not exist
    /// or be empty.</summary>
    /// <exception cref="PipelineException">The pipeline is invalid, or uses a feature the program cannot express (the
    /// message names the key).</exception>
    /// <exception cref="IOException"><paramref name="outDir"/> exists and is not empty.</exception>
    public static TorchrunExportResult Export(string pipelinePath, string outDir)
    {
        ArgumentException.ThrowIfNullOrEmpty(outDir);
        var file = PipelineFile.Load(pipelinePath);
        TorchrunPlan.CheckSpec(file);
        string target = Path.GetFullPath(outDir);
        if (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any())
        {
            throw new IOException($"{target}: the export folder exists and is not empty; name a new folder.");
        }
        if (File.Exists(target))
        {
            throw new IOException($"{target}: a file of that name exists; name a new folder.");
        }

        TorchNative.EnsureLoaded();
        var labels = PipelineInterpreter.Labels(file);
        // The program computes its features in PyTorch: its plan record names no ONNX Runtime engine.
        var plan = PipelineInterpreter.TrainingPlan(file.Spec) with { FeatureEngine = Onnx.Engine.InferenceEngine.Torch };
        var data = PipelineInterpreter.DataPlan(file, labels);
        var evaluation = PipelineInterpreter.Preprocessor(file.Spec, withAugmentation: false);
        // As TrainingSession builds it: the head's initial weights come from the seed.
        manual_seed(plan.Seed);
        using var model = TransferModelBuilder.Build(PipelineInterpreter.ModelPlan(file, labels), file.Spec.Name);
        float[]? pixelShift = evaluation.Normalization.PixelShift(file.Spec.Input.Height, file.Spec.Input.Width) is { } shift
            && shift.Length == evaluation.Channels * file.Spec.Input.Height * file.Spec.Input.Width ? shift : null;
        var document = TorchrunPlan.Build(file, labels, model, data, plan, evaluation, pixelShift is not null);

        string parent = Path.GetDirectoryName(target) ?? throw new IOException($"{target}: has no parent folder.");
        Directory.CreateDirectory(parent);
        string temp = Path.Combine(parent, $".{Path.GetFileName(target)}.tmp-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        try
        {
            foreach (var name in ProgramFiles)
            {
                File.WriteAllText(Path.Combine(temp, name), ProgramText(name));
            }
            File.WriteAllText(Path.Combine(temp, "pipeline.json"), document.ToJsonString() + "\n");
            File.WriteAllText(Path.Combine(temp, "pipeline.tl.yaml"), file.Text);
            using (var stream = File.Create(Path.Combine(temp, "weights.safetensors")))
            {
                Safetensors.SaveStateDict(stream, model.state_dict(), leaveOpen: true);
            }
            if (pixelShift is not null)
            {
                using var values = tensor(pixelShift, [evaluation.Channels, file.Spec.Input.Height, file.Spec.Input.Width]);
                using var stream = File.Create(Path.Combine(temp, "preprocess.safetensors"));
                Safetensors.SaveStateDict(stream, new Dictionary<string, Tensor> { ["pixel_shift"] = values }, leaveOpen: true);
            }
            File.WriteAllText(Path.Combine(temp, "README.md"), Readme(file.Spec.Name));
            if (Directory.Exists(target))
            {
                Directory.Delete(target); // empty, checked above
            }
            Directory.Move(temp, target);
        }
        catch
        {
            if (Directory.Exists(temp))
            {
                Directory.Delete(temp, recursive: true);
            }
            throw;
        }
        var files = Directory.GetFiles(target).Order(StringComparer.Ordinal).ToArray();
        return new TorchrunExportResult(target, files, data.TrainIndices.Length,
            document["train"]!["trained_parameters"]!.AsArray().Count);
    }

    /// <summary>The text of one of <see cref="ProgramFiles"/>.</summary>
    public static string ProgramText(string name)
    {
        using var stream = typeof(TorchrunExporter).Assembly.GetManifestResourceStream($"TLDsl.Torchrun.{name}")
            ?? throw new InvalidOperationException($"the torchrun program file '{name}' is not embedded in {typeof(TorchrunExporter).Assembly.GetName().Name}.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    private static string Readme(string name) => $"""
        # {name} for torchrun

        Written by `tldsl export <pipeline> --target torchrun`. Needs Python 3.8+ with PyTorch (1.13 or 2.x) and
        torchvision, and Pillow for image files.

        ```bash
        torchrun --nproc_per_node=8 train.py                      # one machine with 8 GPUs (or 8 CPU processes)
        torchrun --nnodes=2 --nproc_per_node=8 --rdzv_backend=c10d --rdzv_endpoint=HOST:29400 train.py   # on each node
        python3 train.py                                          # one process
        torchrun --nproc_per_node=8 train.py --resume runs/{name}/<time>                         # continue a run
        ```

        The run folder (`runs/{name}/<time>`, or `--run-dir`) is one TLDsl reads: `tldsl evaluate <run>`,
        `tldsl predict <run> <images>`, `tldsl export <run>`. Data paths in `pipeline.json` are those the export
        resolved; the images must be at the same paths where the program runs.
        """;
}
