using System;
using System.CommandLine;
using System.IO;
using TLDsl.Runtime.Prediction;

namespace TLDsl.Cli.Commands;

/// <summary><c>tldsl export</c>: a run's model as safetensors, with its pipeline and labels, for PyTorch users.</summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var run = new Argument<string>("run") { Description = "A run folder printed by 'tldsl train'." };
        var output = new Option<string?>("--out", "-o") { Description = "The export folder (default: <run>/export)." };
        var checkpoint = Text.CheckpointOption();
        var target = TorchrunExport.TargetOption();
        var command = new Command("export", "Export a run's model: model.safetensors (base model keys + head.N), pipeline.tl.yaml, labels.txt and a README.md on loading it in PyTorch.");
        command.Arguments.Add(run);
        command.Options.Add(output);
        command.Options.Add(checkpoint);
        command.Options.Add(target);
        command.SetAction(parse => parse.GetValue(target) == TorchrunExport.Target
            ? TorchrunExport.Run(parse.GetValue(run)!, parse.GetValue(output))
            : Run(parse.GetValue(run)!, parse.GetValue(output), Text.Checkpoint(parse.GetValue(checkpoint)!)));
        return command;
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
