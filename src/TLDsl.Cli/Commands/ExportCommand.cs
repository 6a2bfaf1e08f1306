using System;
using System.CommandLine;
using System.IO;
using TLDsl.Inference;
using TLDsl.Runtime.Prediction;

namespace TLDsl.Cli.Commands;

/// <summary><c>tldsl export</c>: a run's model as safetensors, with its pipeline and labels, for PyTorch users.</summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var run = new Argument<string>("run") { Description = "A run folder printed by 'tldsl train' (with --target torchrun: a pipeline file)." };
        var output = new Option<string?>("--out", "-o") { Description = "The export folder (default: <run>/export)." };
        var checkpoint = Text.CheckpointOption();
        var format = new Option<string>("--format") { Description = "safetensors (for PyTorch) or onnx (for ONNX Runtime: model.onnx with labels and preprocessing in its metadata).", DefaultValueFactory = _ => "safetensors" };
        format.AcceptOnlyFromAmong("safetensors", "onnx");
        var onnxInput = new Option<string>("--onnx-input") { Description = "With --format onnx, what the graph takes: normalized (float NCHW, normalised by the caller), unit (float NCHW in [0, 1]) or uint8 (uint8 NHWC pixels); the last two put the normalisation into the graph.", DefaultValueFactory = _ => "normalized" };
        onnxInput.AcceptOnlyFromAmong("normalized", "unit", "uint8");
        var target = TorchrunExport.TargetOption();
        var command = new Command("export", "Export a run's model (safetensors for PyTorch or ONNX for ONNX Runtime, with pipeline.tl.yaml, labels.txt and a README.md), or a pipeline as a PyTorch DDP program (--target torchrun).");
        command.Arguments.Add(run);
        command.Options.Add(output);
        command.Options.Add(checkpoint);
        command.Options.Add(format);
        command.Options.Add(onnxInput);
        command.Options.Add(target);
        command.SetAction(parse => parse.GetValue(target) == TorchrunExport.Target
            ? TorchrunExport.Run(parse.GetValue(run)!, parse.GetValue(output))
            : parse.GetValue(format) == "onnx"
            ? RunOnnx(parse.GetValue(run)!, parse.GetValue(output), Text.Checkpoint(parse.GetValue(checkpoint)!), parse.GetValue(onnxInput)!)
            : Run(parse.GetValue(run)!, parse.GetValue(output), Text.Checkpoint(parse.GetValue(checkpoint)!)));
        return command;
    }

    private static int RunOnnx(string runPath, string? output, CheckpointChoice checkpoint, string input)
    {
        Text.RequireRun(runPath);
        var layout = input switch
        {
            "normalized" => OnnxInputLayout.NormalizedNchw,
            "unit" => OnnxInputLayout.UnitNchw,
            "uint8" => OnnxInputLayout.Uint8Nhwc,
            _ => throw new CliUserException($"--onnx-input: unknown value '{input}'; allowed: normalized, unit, uint8"),
        };
        var result = RunExporter.ExportOnnx(runPath, output ?? Path.Combine(runPath, "export"), checkpoint, layout);
        Console.Out.WriteLine(string.Create(Text.C, $"exported the model as ONNX (opset 17, {result.Tensors} initializers) from checkpoint {Path.GetFileName(result.Checkpoint)} to {result.Folder}"));
        foreach (var file in result.Files)
        {
            Console.Out.WriteLine($"  {file}");
        }
        return ExitCodes.Success;
    }

    private static int Run(string runPath, string? output, CheckpointChoice checkpoint)
    {
        Text.RequireRun(runPath);
        var result = RunExporter.Export(runPath, output ?? Path.Combine(runPath, "export"), checkpoint);
        Console.Out.WriteLine(string.Create(Text.C, $"exported {result.Tensors} tensors from checkpoint {Path.GetFileName(result.Checkpoint)} to {result.Folder}"));
        foreach (var file in result.Files)
        {
            Console.Out.WriteLine($"  {file}");
        }
        return ExitCodes.Success;
    }
}
