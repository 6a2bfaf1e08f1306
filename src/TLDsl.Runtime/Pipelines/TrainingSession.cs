using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using TLDsl.Runtime.Native;
using TLDsl.Runtime.Onnx.Engine;
using TLDsl.Runtime.Reporting;
using TLDsl.Runtime.Surgery;
using TLDsl.Runtime.Training;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Pipelines;

/// <summary>Settings a caller may change without editing the pipeline.</summary>
public sealed record TrainingOverrides
{
    /// <summary>Where run folders go (default: the pipeline's <c>train.runs</c>, relative to the pipeline file).</summary>
    public string? RunsRoot { get; init; }

    /// <summary>libtorch threads (0: libtorch's default).</summary>
    public int Threads { get; init; }

    /// <summary>False disables the cached frozen features (for comparisons and tests).</summary>
    public bool CacheFeatures { get; init; } = true;

    /// <summary>The engine that computes cached frozen features: <c>auto</c> (by measured rates; on resume, the engine
    /// the run used), <c>ort</c> or <c>torch</c>.</summary>
    public InferenceEngine Engine { get; init; } = InferenceEngine.Auto;

    /// <summary>Edits the training plan built from the pipeline (the generated options record uses this).</summary>
    public Func<TrainingPlan, TrainingPlan>? Customize { get; init; }
}

/// <summary>The outcome of a whole training run.</summary>
/// <param name="Run">The run folder.</param>
/// <param name="Training">What the trainer reported.</param>
/// <param name="Test">Test metrics of the best checkpoint, when the pipeline has a test source and training finished.</param>
/// <param name="Seconds">Wall-clock seconds.</param>
public sealed record SessionResult(RunFolder Run, TrainingResult Training, ClassificationMetrics? Test, double Seconds);

/// <summary>
/// Runs a pipeline file end to end: builds the model (load weights, drop, add, freeze), the data and the training plan,
/// creates a new run folder holding a copy of the pipeline, trains, and writes metrics, plots and a summary. A run can be
/// resumed from its folder alone. A session holds the run's <see cref="RunLock"/> until it is disposed, so no other process
/// (or session) trains the same run meanwhile.
/// </summary>
public sealed class TrainingSession : IDisposable
{
    /// <summary>The file in a run folder that holds the pipeline's text (what <see cref="Resume"/> reads).</summary>
    public const string PipelineCopy = "pipeline.tl.yaml";

    private readonly RunLock _lock;
    private string? _resumeFrom;

    private TrainingSession(PipelineFile pipeline, IReadOnlyList<string> labels, TransferModel model, DataPlan data, TrainingPlan plan, RunFolder run,
        RunLock runLock, string? resumeFrom)
    {
        Pipeline = pipeline;
        Labels = labels;
        Model = model;
        Data = data;
        Plan = plan;
        Run = run;
        _lock = runLock;
        _resumeFrom = resumeFrom;
    }

    /// <summary>The pipeline being run.</summary>
    public PipelineFile Pipeline { get; }

    /// <summary>Class names in label order.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>The model.</summary>
    public TransferModel Model { get; }

    /// <summary>The samples.</summary>
    public DataPlan Data { get; }

    /// <summary>How it trains.</summary>
    public TrainingPlan Plan { get; }

    /// <summary>The run folder.</summary>
    public RunFolder Run { get; }

    /// <summary>Prepares a new run of <paramref name="pipelinePath"/> in a new run folder.</summary>
    public static TrainingSession Start(string pipelinePath, TrainingOverrides? overrides = null, DateTimeOffset? now = null) =>
        Start(PipelineFile.Load(pipelinePath), overrides, now);

    /// <summary>
    /// Prepares a new run of an already read pipeline (one compiled into an assembly, or an attribute pipeline) in a new
    /// run folder. Relative paths resolve against <see cref="PipelineFile.Path"/>, which need not exist. The run folder
    /// keeps <see cref="PipelineFile.Text"/> as its pipeline copy, so the text must be YAML for <see cref="Resume"/>.
    /// </summary>
    public static TrainingSession Start(PipelineFile pipeline, TrainingOverrides? overrides = null, DateTimeOffset? now = null)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        TorchNative.EnsureLoaded();
        overrides ??= new TrainingOverrides();
        string root = overrides.RunsRoot ?? pipeline.Resolve(pipeline.Spec.Train.Runs);
        var labels = PipelineInterpreter.Labels(pipeline);
        RunFolder.CheckLabels(labels);
        var (_, model, data, plan) = Build(pipeline, labels, overrides);
        RunLock? runLock = null;
        try
        {
            var run = RunFolder.CreateNew(root, pipeline.Spec.Name, now ?? DateTimeOffset.UtcNow);
            runLock = RunLock.Acquire(run);
            File.WriteAllText(Path.Combine(run.Path, PipelineCopy), pipeline.Text);
            File.WriteAllText(Path.Combine(run.Path, "source.txt"), $"{pipeline.Path}\nsha256 {pipeline.Hash}\n");
            run.WriteLabels(labels);
            PlanRecord.Write(run.Path, plan);
            return new TrainingSession(pipeline, labels, model, data, plan, run, runLock, resumeFrom: null);
        }
        catch
        {
            runLock?.Dispose();
            model.Dispose();
            throw;
        }
    }

    /// <summary>Prepares to continue the run in <paramref name="runPath"/> from its latest checkpoint, or from
    /// <paramref name="fromCheckpoint"/>. Relative paths of the pipeline resolve against the original pipeline file's
    /// folder. A resume never starts over: a run whose <c>checkpoints/last</c> is missing or does not name a whole
    /// checkpoint of the run is refused, naming the newest whole one to pass as <paramref name="fromCheckpoint"/>.</summary>
    /// <param name="runPath">The run folder.</param>
    /// <param name="overrides">Settings that change no result (threads, feature cache).</param>
    /// <param name="fromCheckpoint">A checkpoint of the run to continue from instead of the latest: its folder name
    /// (<c>epoch-0002-step-00000012</c>) or the path of that folder.</param>
    /// <exception cref="RunLockedException">Another process or session is training the run.</exception>
    /// <exception cref="CheckpointException">The checkpoint to resume from is missing, outside the run or not whole.</exception>
    public static TrainingSession Resume(string runPath, TrainingOverrides? overrides = null, string? fromCheckpoint = null)
    {
        TorchNative.EnsureLoaded();
        var run = RunFolder.Open(runPath);
        // Locked before anything is read: another process may be writing checkpoints and pointers right now.
        var runLock = RunLock.Acquire(run);
        TransferModel? model = null;
        try
        {
            string checkpoint = ResumeCheckpoint.Resolve(run, fromCheckpoint);
            string copy = Path.Combine(run.Path, PipelineCopy);
            string original = File.ReadLines(Path.Combine(run.Path, "source.txt")).First();
            var pipeline = PipelineFile.Parse(TLDsl.Spec.Parsing.BoundedText.ReadPipeline(copy), original);
            var labels = PipelineInterpreter.Labels(pipeline);
            if (run.ReadLabels() is { } started && !started.SequenceEqual(labels, StringComparer.Ordinal))
            {
                throw new PipelineException($"{run.Path}: the run started with the classes {List(started)} (labels.txt), but the data now gives {List(labels)}. A resume trains the same classes: restore the data, or start a new run.");
            }
            overrides ??= new TrainingOverrides();
            // auto continues with the engine the run's features were computed with, so the resume is bit-identical.
            if (overrides.Engine == InferenceEngine.Auto)
            {
                overrides = overrides with { Engine = PlanRecord.RecordedFeatureEngine(run.Path) };
            }
            (_, model, var data, var plan) = Build(pipeline, labels, overrides);
            if (PlanRecord.Differences(run.Path, plan) is { Count: > 0 } changed)
            {
                throw new PipelineException($"{run.Path}: the resume's training settings differ from the run's ({PlanRecord.FileName}): {string.Join("; ", changed)}. Resume with the options the run was started with.");
            }
            return new TrainingSession(pipeline, labels, model, data, plan, run, runLock, checkpoint);
        }
        catch
        {
            model?.Dispose();
            runLock.Dispose();
            throw;
        }
    }

    /// <summary>Trains (or continues training), then evaluates the best checkpoint on the test source and writes the
    /// summary, the classification report and the confusion matrix.</summary>
    public SessionResult Train(ITrainingObserver? observer = null, long? stopAfterSteps = null, CancellationToken cancellation = default)
    {
        var watch = Stopwatch.StartNew();
        var trainer = new Trainer(Model, Data, Plan, Run, observer);
        var result = trainer.Run(_resumeFrom, stopAfterSteps, cancellation);
        // A second call continues where this one stopped.
        _resumeFrom = result.LastCheckpoint ?? _resumeFrom;
        ClassificationMetrics? test = null;
        if (result.State.Finished)
        {
            if (result.BestCheckpoint is { } best)
            {
                Checkpoints.LoadModel(best, Model);
            }
            if (Data.Test is { } source && Data.TestIndices.Length > 0)
            {
                test = Test(source, observer ?? NullTrainingObserver.Instance);
            }
            WriteReports(result, test, watch.Elapsed.TotalSeconds);
        }
        observer?.TrainingCompleted();
        return new SessionResult(Run, result, test, watch.Elapsed.TotalSeconds);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Model.Dispose();
        _lock.Dispose();
    }

    /// <summary>The test metrics. In eval mode the whole backbone is deterministic, so when the plan's feature engine is
    /// ONNX Runtime it computes the backbone (as it does the feature cache) and TorchSharp only the head; test-time
    /// views need the pixels and keep TorchSharp's full forward.</summary>
    private ClassificationMetrics Test(Data.IImageSource source, ITrainingObserver observer)
    {
        var preprocessor = PipelineInterpreter.Preprocessor(Pipeline, false);
        int steps = Model.Steps.Count;
        if (!Plan.CacheFeatures || steps == 0 || preprocessor.TestViews.Count > 0 || InferenceEngines.Resolve(Plan.FeatureEngine) != InferenceEngine.Ort)
        {
            return Evaluator.Evaluate(Model, source, Data.TestIndices, preprocessor, Plan.BatchSize, Plan.Seed);
        }
        bool training = Model.training;
        Model.eval();
        try
        {
            using var engine = new FeatureEngine(Model, steps, Plan.FeatureEngine, Plan.Threads, observer.Message);
            using var features = FeatureCache.Build(Model, steps, source, Data.TestIndices, preprocessor, Plan.BatchSize, Plan.Seed,
                Plan.CacheMemoryBytes, Run.Cache, NullTrainingObserver.Instance, engine);
            return Evaluator.Evaluate(Model, source, Data.TestIndices, preprocessor, Plan.BatchSize, Plan.Seed, features, steps);
        }
        finally
        {
            Model.train(training);
        }
    }

    private static string List(IReadOnlyList<string> labels) => "[" + string.Join(", ", labels) + "]";

    private static (IReadOnlyList<string>, TransferModel, DataPlan, TrainingPlan) Build(PipelineFile pipeline, IReadOnlyList<string> labels, TrainingOverrides overrides)
    {
        var plan = PipelineInterpreter.TrainingPlan(pipeline.Spec) with
        {
            CacheFeatures = overrides.CacheFeatures, Threads = overrides.Threads, FeatureEngine = overrides.Engine,
        };
        if (overrides.Customize is not null)
        {
            plan = overrides.Customize(plan) ?? throw new PipelineException("TrainingOverrides.Customize returned no training plan.");
        }
        // Validation checked the pipeline, not what code changed since: the same limits, before any model or data work.
        var input = pipeline.Spec.Input;
        TrainingPlanLimits.Check(plan, labels.Count, Math.Max(input.Channels, PipelineInterpreter.Preprocessor(pipeline, false).Channels),
            input.Height, input.Width);
        var data = PipelineInterpreter.DataPlan(pipeline, labels);
        // The head's initial weights come from the seed, so a run is reproducible from its pipeline alone.
        manual_seed(plan.Seed);
        var model = TransferModelBuilder.Build(PipelineInterpreter.ModelPlan(pipeline, labels), pipeline.Spec.Name);
        return (labels, model, data, plan);
    }

    private void WriteReports(TrainingResult result, ClassificationMetrics? test, double seconds)
    {
        var final = result.LastValidation;
        var bestRecord = result.State.BestCheckpoint is null ? null
            : result.Epochs.LastOrDefault(r => result.State.BestCheckpoint.StartsWith($"epoch-{r.Epoch:D4}", StringComparison.Ordinal));
        var summary = new RunSummary(Pipeline.Spec.Name, result.State.Epoch, result.State.Step, result.State.StopReason ?? "", seconds,
            bestRecord?.Epoch, Plan.EarlyStopping?.Metric ?? "valid.accuracy", result.State.Best, final, test);
        Reports.WriteSummary(summary, Path.Combine(Run.Path, "summary.json"));
        var shown = test ?? final;
        if (shown is not null)
        {
            string which = test is null ? "valid" : "test";
            File.WriteAllText(Path.Combine(Run.Path, $"{which}-report.txt"), Reports.ClassificationReport(shown));
            Reports.WriteConfusionCsv(shown.ConfusionMatrix, Labels, Path.Combine(Run.Path, $"{which}-confusion.csv"));
            Plots.ConfusionMatrix(shown.ConfusionMatrix, Labels, Path.Combine(Run.Plots, $"{which}-confusion.png"));
        }
    }
}
