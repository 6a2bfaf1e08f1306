using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using TLDsl.Runtime.Native;
using TLDsl.Runtime.Onnx.Engine;
using TLDsl.Runtime.Pipelines;
using TLDsl.Runtime.Reporting;
using TLDsl.Runtime.Surgery;
using TorchSharp;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Training;

/// <summary>Settings of a learning-rate sweep.</summary>
/// <param name="StartRate">The first rate.</param>
/// <param name="EndRate">The last rate.</param>
/// <param name="Steps">Optimizer steps of the sweep (the rate grows geometrically between them).</param>
/// <param name="Smoothing">The loss's exponential moving average factor (fastai: 0.98).</param>
/// <param name="DivergeFactor">Stop once the smoothed loss exceeds this multiple of the best smoothed loss.</param>
public sealed record LearningRateFinderOptions(double StartRate = 1e-7, double EndRate = 10, int Steps = 100,
    double Smoothing = 0.98, double DivergeFactor = 4)
{
    /// <summary>libtorch threads (0: leave the default).</summary>
    public int Threads { get; init; }
}

/// <summary>The outcome of a sweep.</summary>
/// <param name="LearningRates">The rate of each step done.</param>
/// <param name="Losses">The raw training loss of each step.</param>
/// <param name="SmoothedLosses">The bias-corrected moving average of the loss.</param>
/// <param name="Suggested">The suggested rate (<see cref="LearningRateSuggestion.Suggest"/>), or null when the loss did not clearly fall.</param>
/// <param name="StopReason">Why the sweep ended.</param>
/// <param name="CachedFeatures">Whether the frozen layers ran once per sample (their outputs cached) rather than every step.</param>
public sealed record LearningRateFinderResult(IReadOnlyList<double> LearningRates, IReadOnlyList<double> Losses,
    IReadOnlyList<double> SmoothedLosses, double? Suggested, string StopReason, bool CachedFeatures = false);

/// <summary>
/// The learning-rate range test (Smith 2015, fastai's <c>lr_find</c>): a freshly built copy of the pipeline's model trains
/// for up to <see cref="LearningRateFinderOptions.Steps"/> optimizer steps on training batches while the rate grows
/// exponentially; the loss is smoothed and the sweep stops when it diverges. The suggestion is
/// <see cref="LearningRateSuggestion.Suggest"/>'s. Nothing of a run or of another model is touched; torch's random state is restored.
/// </summary>
public static class LearningRateFinder
{
    /// <summary>Sweeps the pipeline's first phase (its trainable layers, optimizer, loss and batch size).</summary>
    public static LearningRateFinderResult Run(PipelineFile pipeline, LearningRateFinderOptions? options = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        TorchNative.EnsureLoaded();
        options ??= new LearningRateFinderOptions();
        var labels = PipelineInterpreter.Labels(pipeline);
        var plan = PipelineInterpreter.TrainingPlan(pipeline.Spec);
        var data = PipelineInterpreter.DataPlan(pipeline, labels);
        using var rng = get_rng_state();
        try
        {
            manual_seed(plan.Seed);
            using var model = TransferModelBuilder.Build(PipelineInterpreter.ModelPlan(pipeline, labels), pipeline.Spec.Name);
            return Run(model, data, plan, options, cancellation);
        }
        finally
        {
            set_rng_state(rng);
        }
    }

    /// <summary>Sweeps on <paramref name="model"/>, which is trained by the sweep: pass a copy.</summary>
    public static LearningRateFinderResult Run(TransferModel model, DataPlan data, TrainingPlan plan, LearningRateFinderOptions? options = null,
        CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(plan);
        options ??= new LearningRateFinderOptions();
        if (options.StartRate <= 0 || options.EndRate <= options.StartRate || options.Steps < 2)
        {
            throw new ArgumentException("the sweep needs 0 < start rate < end rate and at least 2 steps.", nameof(options));
        }
        if (options.Threads > 0)
        {
            torch.set_num_threads(options.Threads);
        }
        if (plan.Phases.Count > 0)
        {
            TrainingStep.ApplyTrainability(model, plan.Phases[0]);
        }
        int batchSize = Math.Min(plan.BatchSize, data.TrainIndices.Length);
        if (batchSize < 2)
        {
            throw new Data.DataException($"{data.Train}: the learning-rate finder needs at least 2 training samples.");
        }
        int prefix = model.FrozenPrefixLength();
        // When steps x batch >= n every sample is visited at least once, so computing the frozen prefix once per sample
        // costs no more than the sweep would, and every later visit is free (the trainer's feature cache).
        bool augment = plan.Phases.Count == 0 || plan.Phases[0].Augment;
        bool cache = TrainingStep.CanCacheFeatures(plan, model, data, prefix, augment) && (long)options.Steps * batchSize >= data.TrainIndices.Length;
        string? scratch = cache ? Directory.CreateTempSubdirectory("tldsl-lr-find").FullName : null;
        try
        {
            using var engine = cache ? new FeatureEngine(model, prefix, plan.FeatureEngine, plan.Threads, _ => { }) : null;
            using var features = cache
                ? FeatureCache.Build(model, prefix, data.Train, data.TrainIndices, data.Preprocessor, batchSize, plan.Seed, plan.CacheMemoryBytes, scratch!, NullTrainingObserver.Instance, engine)
                : null;
            using var optimizer = new RunOptimizer(model.named_parameters().Where(p => p.parameter.requires_grad), plan.Optimizer);
            var sweep = new SweepCurve(options);
            RunSweep(model, data, plan, optimizer, features, prefix, batchSize, augment, sweep, cancellation);
            return new LearningRateFinderResult(sweep.Rates, sweep.Losses, sweep.Smoothed, LearningRateSuggestion.Suggest(sweep.Rates, sweep.Losses), sweep.Reason, cache);
        }
        finally
        {
            if (scratch is not null)
            {
                Directory.Delete(scratch, recursive: true);
            }
        }
    }

    /// <summary>The sweep's curve so far and why it ended.</summary>
    private sealed class SweepCurve(LearningRateFinderOptions options)
    {
        private double _average;
        private double _best = double.PositiveInfinity;

        public List<double> Rates { get; } = [];

        public List<double> Losses { get; } = [];

        public List<double> Smoothed { get; } = [];

        public string Reason { get; set; } = "reached the end rate";

        public int Steps => options.Steps;

        /// <summary>The rate of step <paramref name="step"/>: geometric from the start rate to the end rate.</summary>
        public double RateAt(int step) =>
            options.StartRate * Math.Pow(Math.Pow(options.EndRate / options.StartRate, 1.0 / (options.Steps - 1)), step);

        /// <summary>Records a step's loss; false once the smoothed loss has diverged.</summary>
        public bool Add(double rate, double loss)
        {
            int step = Rates.Count;
            _average = (options.Smoothing * _average) + ((1 - options.Smoothing) * loss);
            double value = _average / (1 - Math.Pow(options.Smoothing, step + 1));
            Rates.Add(rate);
            Losses.Add(loss);
            Smoothed.Add(value);
            _best = Math.Min(_best, value);
            if (step > 0 && value > options.DivergeFactor * _best)
            {
                Reason = string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"the smoothed loss exceeded {options.DivergeFactor:G3}x its minimum");
                return false;
            }
            return true;
        }
    }

    /// <summary>Trains one batch per step at the growing rate, with the trainer's forward pass, loss and update.</summary>
    private static void RunSweep(TransferModel model, DataPlan data, TrainingPlan plan, RunOptimizer optimizer, FeatureCache? features, int prefix,
        int batchSize, bool augment, SweepCurve sweep, CancellationToken cancellation)
    {
        var ones = Enumerable.Repeat(1.0, optimizer.Names.Count).ToArray();
        int n = data.TrainIndices.Length;
        int[] order = [];
        int position = n;
        int epoch = -1;
        optimizer.ClearGradients();
        model.train();
        for (int step = 0; step < sweep.Steps; step++)
        {
            if (cancellation.IsCancellationRequested)
            {
                sweep.Reason = "cancelled";
                return;
            }
            if (position + batchSize > n)
            {
                epoch++;
                order = Shuffle(n, plan.Seed, epoch);
                position = 0;
            }
            double rate = sweep.RateAt(step);
            double loss;
            using (NewDisposeScope())
            {
                var (_, _, perSample) = TrainingStep.Loss(model, data, plan, order.AsSpan(position, batchSize), features, prefix, epoch, augment, classWeights: null);
                position += batchSize;
                var output = perSample.mean();
                loss = output.item<float>();
                if (!double.IsFinite(loss))
                {
                    sweep.Reason = "the loss became non-finite";
                    return;
                }
                output.backward();
            }
            optimizer.SetRates(ones, rate);
            TrainingStep.Update(model, optimizer, plan.ClipGradNorm);
            if (!sweep.Add(rate, loss))
            {
                return;
            }
        }
    }

    private static int[] Shuffle(int n, int seed, int epoch)
    {
        var random = new Random(unchecked((seed * 1_000_003) + epoch));
        int[] order = Enumerable.Range(0, n).ToArray();
        random.Shuffle(order);
        return order;
    }
}
