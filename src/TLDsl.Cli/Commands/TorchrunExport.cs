using System;
using System.CommandLine;
using System.IO;
using TLDsl.Runtime.Export.Torchrun;

namespace TLDsl.Cli.Commands;

/// <summary><c>tldsl export &lt;pipeline&gt; --target torchrun -o &lt;dir&gt;</c>: a PyTorch DistributedDataParallel program
/// for a pipeline, whose run folder the other verbs read.</summary>
internal static class TorchrunExport
{
    /// <summary>The <c>--target</c> value that exports a pipeline for torchrun.</summary>
    public const string Target = "torchrun";

    /// <summary><c>--target run|torchrun</c>: a run's trained model (default), or a pipeline as a torchrun program.</summary>
    public static Option<string> TargetOption()
    {
        var option = new Option<string>("--target")
        {
            Description = "run: export a trained run's model (the argument is a run folder); torchrun: write a PyTorch DistributedDataParallel program for a pipeline (the argument is a pipeline file).",
            DefaultValueFactory = _ => "run",
        };
        option.AcceptOnlyFromAmong("run", Target);
        return option;
    }

    public static int Run(string pipeline, string? output)
    {
        if (!File.Exists(pipeline))
        {
            throw new CliUserException($"{pipeline}: not a pipeline file; --target torchrun exports a pipeline (*.tl.yaml), not a run.");
        }
        string folder = output ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(pipeline))!, Path.GetFileNameWithoutExtension(Path.GetFileNameWithoutExtension(pipeline)) + "-torchrun");
        TorchrunExportResult result;
        try
        {
            result = TorchrunExporter.Export(pipeline, folder);
        }
        catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException)
        {
            throw new CliUserException(e.Message);
        }
        Console.Out.WriteLine(string.Create(Text.C, $"wrote a torchrun program to {result.Folder} ({result.TrainSamples} training samples, {result.TrainedParameters} trained parameter tensors)"));
        foreach (var file in result.Files)
        {
            Console.Out.WriteLine($"  {Path.GetFileName(file)}");
        }
        try
        {
            var python = TorchPython.Find();
            Console.Out.WriteLine($"run it: cd {result.Folder} && torchrun --nproc_per_node=<processes> train.py   (here: {python.Executable}, torch {python.TorchVersion})");
        }
        catch (InvalidOperationException e)
        {
            Console.Out.WriteLine($"run it: cd {result.Folder} && torchrun --nproc_per_node=<processes> train.py");
            Console.Out.WriteLine($"note: {e.Message}");
        }
        return ExitCodes.Success;
    }
}
