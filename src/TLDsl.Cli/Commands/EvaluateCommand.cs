using System;
using System.CommandLine;
using System.IO;
using TLDsl.Runtime.Prediction;
using TLDsl.Runtime.Reporting;

namespace TLDsl.Cli.Commands;

/// <summary><c>tldsl evaluate</c>: metrics of a run's model on its test split (or validation split).</summary>
internal static class EvaluateCommand
{
    public static Command Create()
    {
        var run = new Argument<string>("run") { Description = "A run folder printed by 'tldsl train'." };
        var checkpoint = Text.CheckpointOption();
        var command = new Command("evaluate", "Evaluate a run's model on the pipeline's test source (or its validation split when it has none): accuracy, loss, top-5, and the per-class report.");
        command.Arguments.Add(run);
        command.Options.Add(checkpoint);
        command.SetAction(parse => Run(parse.GetValue(run)!, Text.Checkpoint(parse.GetValue(checkpoint)!)));
        return command;
    }

    private static int Run(string runPath, CheckpointChoice checkpoint)
    {
        Text.RequireRun(runPath);
        using var model = RunModel.Open(runPath, checkpoint);
        var evaluation = model.Evaluate();
        var m = evaluation.Metrics;
        var c = Text.C;
        Console.Out.WriteLine($"run: {model.Run.Path}");
        Console.Out.WriteLine($"checkpoint: {Path.GetFileName(model.Checkpoint)}");
        Console.Out.WriteLine(string.Create(c, $"split: {evaluation.Split} ({m.Count} images)"));
        Console.Out.WriteLine($"accuracy: {Text.Fixed(m.Accuracy)}");
        if (m.Loss is double loss)
        {
            Console.Out.WriteLine($"loss: {Text.Fixed(loss)}");
        }
        Console.Out.WriteLine($"top-5: {Text.Fixed(m.Top5)}");
        Console.Out.WriteLine($"macro F1: {Text.Fixed(m.MacroF1)}");
        Console.Out.WriteLine();
        Console.Out.Write(Reports.ClassificationReport(m));
        return ExitCodes.Success;
    }
}
