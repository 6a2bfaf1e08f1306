using System;
using System.CommandLine;
using System.IO;
using TLDsl.Runtime.Pipelines;
using TLDsl.Runtime.Reporting;
using TLDsl.Runtime.Training;

namespace TLDsl.Cli.Commands;

/// <summary><c>tldsl lr-find</c>: the learning-rate range test.</summary>
internal static class LrFindCommand
{
    public static Command Create()
    {
        var pipeline = new Argument<string>("pipeline") { Description = "The pipeline file (*.tl.yaml)." };
        var output = new Option<string?>("--out") { Description = "The plot to write (default: <pipeline name>-lr-find.png in the current folder)." };
        var steps = new Option<int>("--steps") { Description = "Optimizer steps of the sweep.", DefaultValueFactory = _ => 100 };
        var threads = new Option<int>("--threads") { Description = "libtorch threads (default: libtorch's choice)." };
        var csv = new Option<string?>("--csv") { Description = "Also write the sweep as CSV (rate, loss, smoothed loss per step)." };
        var command = new Command("lr-find", "Sweep the learning rate exponentially from 1e-7 to 10 on training batches with a fresh copy of the pipeline's model (first phase), print a suggested rate (halfway down the smoothed valley, never the first tenth of the sweep), and plot the curve. No run folder is written.");
        command.Arguments.Add(pipeline);
        command.Options.Add(output);
        command.Options.Add(steps);
        command.Options.Add(threads);
        command.Options.Add(csv);
        command.SetAction(parse => Run(parse.GetValue(pipeline)!, parse.GetValue(output), parse.GetValue(steps), parse.GetValue(threads), parse.GetValue(csv)));
        return command;
    }

    private static int Run(string path, string? output, int steps, int threads, string? csv)
    {
        if (steps < 2 || threads < 0)
        {
            throw new CliUserException("--steps must be at least 2 and --threads 0 or more.", ExitCodes.Usage);
        }
        Text.RequireFile(path, "pipeline file");
        var pipeline = PipelineFile.Load(path);
        var options = new LearningRateFinderOptions(Steps: steps) { Threads = threads };
        Console.Error.WriteLine($"sweeping {Text.Rate(options.StartRate)} -> {Text.Rate(options.EndRate)} over up to {steps} steps...");
        var result = LearningRateFinder.Run(pipeline, options);
        string png = Path.GetFullPath(output ?? pipeline.Spec.Name + "-lr-find.png");
        Directory.CreateDirectory(Path.GetDirectoryName(png)!);
        Plots.LearningRateFinder(result.LearningRates, result.SmoothedLosses, result.Suggested, png);
        Console.Out.WriteLine(result.Suggested is double rate
            ? $"suggested learning rate: {Text.Rate(rate)}"
            : "suggested learning rate: none (the loss never fell; check the data and the frozen layers)");
        Console.Out.WriteLine(string.Create(Text.C, $"steps: {result.LearningRates.Count} ({result.StopReason}){(result.CachedFeatures ? "; frozen features computed once" : "")}"));
        Console.Out.WriteLine($"plot: {png}");
        if (csv is not null)
        {
            File.WriteAllText(csv, LearningRateSuggestion.ToCsv(result.LearningRates, result.Losses, result.SmoothedLosses));
            Console.Out.WriteLine($"csv: {Path.GetFullPath(csv)}");
        }
        return ExitCodes.Success;
    }
}
