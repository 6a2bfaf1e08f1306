using System;
using System.CommandLine;
using System.IO;
using System.Threading;
using TLDsl.Cli.Reporting;
using TLDsl.Runtime.Pipelines;
using TLDsl.Runtime.Reporting;

namespace TLDsl.Cli.Commands;

/// <summary><c>tldsl train</c>: runs a pipeline, or continues a run.</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var pipeline = new Argument<string?>("pipeline") { Description = "The pipeline file (*.tl.yaml). Omit with --resume.", Arity = ArgumentArity.ZeroOrOne };
        var resume = new Option<string?>("--resume") { Description = "Continue this run folder from its latest checkpoint (never from the start: a run whose checkpoints/last is missing or broken is refused, naming the newest whole checkpoint)." };
        var from = new Option<string?>("--from") { Description = "With --resume: continue from this checkpoint of the run (its folder name under checkpoints/, or its path) instead of the latest." };
        var runs = new Option<string?>("--runs") { Description = "Where new run folders go (default: the pipeline's train.runs, relative to the pipeline file)." };
        var threads = new Option<int>("--threads") { Description = "libtorch threads (default: libtorch's choice)." };
        var noCache = new Option<bool>("--no-cache") { Description = "Do not cache the frozen backbone's features (slower; for comparisons)." };
        var engine = new Option<string>("--engine") { Description = "What computes the cached frozen features: auto (ONNX Runtime, the faster on measurement; torch where the prefix cannot be exported; on --resume, the engine the run used), ort or torch.", DefaultValueFactory = _ => "auto" };
        var maxSteps = new Option<long?>("--max-steps") { Description = "Stop with a checkpoint after this many optimizer steps in total (resume later with --resume)." };
        var command = new Command("train", "Train a pipeline: builds the model, trains its phases with progress, writes a run folder (checkpoints, metrics, plots, reports) and prints the validation and test accuracy. Ctrl+C stops at the next step with a checkpoint.");
        command.Arguments.Add(pipeline);
        foreach (var o in new Option[] { resume, from, runs, threads, noCache, engine, maxSteps })
        {
            command.Options.Add(o);
        }
        command.SetAction(parse => Run(parse.GetValue(pipeline), parse.GetValue(resume), parse.GetValue(from), parse.GetValue(runs), parse.GetValue(threads),
            parse.GetValue(noCache), parse.GetValue(engine), parse.GetValue(maxSteps)));
        return command;
    }

    private static int Run(string? pipeline, string? resume, string? from, string? runs, int threads, bool noCache, string? engine, long? maxSteps)
    {
        if ((pipeline is null) == (resume is null))
        {
            throw new CliUserException("give either a pipeline file or --resume <run folder>, not both and not neither.", ExitCodes.Usage);
        }
        if (from is not null && resume is null)
        {
            throw new CliUserException("--from picks the checkpoint of a resume: give it with --resume <run folder>.", ExitCodes.Usage);
        }
        if (threads < 0 || maxSteps is <= 0)
        {
            throw new CliUserException("--threads must be 0 or more and --max-steps positive.", ExitCodes.Usage);
        }
        var featureEngine = EngineOption.Parse(engine);
        if (pipeline is not null)
        {
            Text.RequireFile(pipeline, "pipeline file");
        }
        else
        {
            Text.RequireRun(resume!);
        }
        var overrides = new TrainingOverrides { RunsRoot = runs, Threads = threads, CacheFeatures = !noCache, Engine = featureEngine };
        using var session = pipeline is not null ? TrainingSession.Start(pipeline, overrides) : TrainingSession.Resume(resume!, overrides, from);
        Console.Out.WriteLine($"run folder: {session.Run.Path}");

        using var stop = new CancellationTokenSource();
        void OnCancel(object? sender, ConsoleCancelEventArgs e)
        {
            if (!stop.IsCancellationRequested)
            {
                e.Cancel = true; // the first Ctrl+C stops cleanly; a second one ends the process
                Console.Error.WriteLine("stopping at the next step and writing a checkpoint (Ctrl+C again to abort)...");
                stop.Cancel();
            }
        }
        Console.CancelKeyPress += OnCancel;
        SessionResult result;
        try
        {
            using var observer = new ConsoleTrainingObserver();
            result = session.Train(observer, maxSteps, stop.Token);
        }
        finally
        {
            Console.CancelKeyPress -= OnCancel;
        }

        var state = result.Training.State;
        var c = Text.C;
        if (!state.Finished)
        {
            Console.Out.WriteLine(string.Create(c, $"stopped at epoch {state.Epoch}, step {state.Step}; checkpoint {Path.GetFileName(result.Training.LastCheckpoint) ?? "(none)"}"));
            Console.Out.WriteLine($"continue with: tldsl train --resume \"{result.Run.Path}\"");
            return stop.IsCancellationRequested ? ExitCodes.Interrupted : ExitCodes.Success;
        }
        Console.Out.WriteLine(string.Create(c, $"finished: {state.StopReason}, {state.Epoch} epoch(s), {state.Step} step(s), {result.Seconds:F1} s"));
        if (result.Training.LastValidation is { } valid)
        {
            Console.Out.WriteLine($"validation accuracy: {Text.Fixed(valid.Accuracy)}");
        }
        if (result.Test is { } test)
        {
            Console.Out.WriteLine(string.Create(c, $"test accuracy: {Text.Fixed(test.Accuracy)} ({test.Count} images, best checkpoint)"));
        }
        Console.Out.WriteLine($"best checkpoint: {result.Training.BestCheckpoint ?? "(none)"}");
        Console.Out.WriteLine($"run folder: {result.Run.Path}");
        return ExitCodes.Success;
    }
}
