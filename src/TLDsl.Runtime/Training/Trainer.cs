using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Threading;
using TLDsl.Runtime.Data;
using TLDsl.Runtime.Native;
using TLDsl.Runtime.Onnx.Engine;
using TLDsl.Runtime.Reporting;
using TLDsl.Runtime.Surgery;
using TorchSharp;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Training;

/// <summary>What a call of <see cref="Trainer.Run"/> ended with.</summary>
/// <param name="State">The final training state.</param>
/// <param name="Epochs">Every epoch's record, including those before a resume.</param>
/// <param name="LastCheckpoint">The latest checkpoint folder.</param>
/// <param name="BestCheckpoint">The best checkpoint folder.</param>
/// <param name="LastValidation">Validation metrics of the last epoch, if one completed in this call.</param>
public sealed record TrainingResult(TrainingState State, IReadOnlyList<EpochRecord> Epochs, string? LastCheckpoint, string? BestCheckpoint,
    ClassificationMetrics? LastValidation);

/// <summary>
/// Trains a <see cref="TransferModel"/> phase by phase: each phase sets which layers train and at which rates (gradual
/// unfreezing, discriminative learning rates), the optimizer and its state carry over, and a frozen prefix's outputs are
/// computed once and reused when that is exact. Checkpoints hold everything a resume needs to reach bit-identical weights.
/// </summary>
public sealed class Trainer
{
    private readonly TransferModel _model;
    private readonly DataPlan _data;
    private readonly TrainingPlan _plan;
    private readonly RunFolder _run;
    private readonly ITrainingObserver _observer;
    private readonly MetricsLog _metrics;
    private WeightAverage? _average;

    /// <summary>Creates a trainer. Seed torch (<c>torch.manual_seed</c>) before building the model for a reproducible head.</summary>
    public Trainer(TransferModel model, DataPlan data, TrainingPlan plan, RunFolder run, ITrainingObserver? observer = null)
    {
        _model = model ?? throw new ArgumentNullException(nameof(model));
        _data = data ?? throw new ArgumentNullException(nameof(data));
        _plan = plan ?? throw new ArgumentNullException(nameof(plan));
        _run = run ?? throw new ArgumentNullException(nameof(run));
        // The runtime API can hand over any plan (Customize); a batch or window below 1 would train nothing.
        ArgumentOutOfRangeException.ThrowIfLessThan(plan.BatchSize, 1, "plan.BatchSize");
        ArgumentOutOfRangeException.ThrowIfLessThan(plan.Accumulate, 1, "plan.Accumulate");
        _observer = observer ?? NullTrainingObserver.Instance;
        _metrics = new MetricsLog(run.MetricsCsv);
    }

    /// <summary>Trains from the start, or from <paramref name="resumeFrom"/> (a checkpoint folder).</summary>
    /// <param name="resumeFrom">A checkpoint to continue from, or null.</param>
    /// <param name="stopAfterSteps">Stop (with a checkpoint) once this many optimizer steps are done — for tests and
    /// for splitting a long run; null runs to the end.</param>
    /// <param name="cancellation">Stops at the next optimizer step, writing a checkpoint.</param>
    public TrainingResult Run(string? resumeFrom = null, long? stopAfterSteps = null, CancellationToken cancellation = default)
    {
        if (_plan.Threads > 0)
        {
            torch.set_num_threads(_plan.Threads);
        }
        // Parameters no phase trains get no optimizer state (and take no room in checkpoints).
        var trained = _model.TrainableAcross(_plan.Phases.Select(p => (p.Unfreeze, p.Freeze)));
        using var optimizer = new RunOptimizer(_model.named_parameters().Where(p => trained.Contains(p.name)), _plan.Optimizer);
        var state = new TrainingState();
        using var average = _average = _plan.Ema is { } ema ? WeightAverage.Start(_model, ema, trained) : null;
        if (resumeFrom is not null)
        {
            state = Checkpoints.ReadState(resumeFrom);
            Checkpoints.LoadModel(resumeFrom, _model, averaged: false);
            average?.Load(resumeFrom);
            for (int p = 0; p <= Math.Min(state.Phase, _plan.Phases.Count - 1); p++)
            {
                TrainingStep.ApplyTrainability(_model, _plan.Phases[p]);
            }
            Checkpoints.LoadTrainingState(resumeFrom, optimizer);
            _metrics.TruncateAfter(state.Epoch);
            _observer.Message($"resumed from {resumeFrom}: phase {state.Phase + 1}, epoch {state.Epoch}, step {state.Step}");
        }
        else
        {
            torch.manual_seed(_plan.Seed);
        }

        string? last = resumeFrom;
        ClassificationMetrics? lastValidation = null;
        bool resuming = resumeFrom is not null;
        for (int p = state.Phase; p < _plan.Phases.Count && !state.Finished; p++)
        {
            var phase = _plan.Phases[p];
            // Only the phase a checkpoint was taken in is already set up (its trainability was replayed above).
            bool resumingHere = resuming;
            resuming = false;
            if (!resumingHere)
            {
                TrainingStep.ApplyTrainability(_model, phase);
                state = state with { Phase = p, EpochInPhase = 0, PhaseStep = 0, BatchInEpoch = 0 };
            }
            var outcome = RunPhase(phase, optimizer, state, stopAfterSteps, cancellation);
            // The phase's caches are disposed: their pages go back to the system before the next phase builds its own.
            NativeHeap.Trim();
            state = outcome.State;
            last = outcome.LastCheckpoint ?? last;
            lastValidation = outcome.Validation ?? lastValidation;
            if (outcome.Interrupted)
            {
                return new TrainingResult(state, _metrics.Read(), last, Checkpoints.Best(_run), lastValidation);
            }
            if (!state.Finished && p + 1 < _plan.Phases.Count)
            {
                state = state with { Phase = p + 1, EpochInPhase = 0, PhaseStep = 0 };
            }
        }
        state = state with { Finished = true, StopReason = state.StopReason ?? "all phases completed" };
        last = Checkpoints.Save(_run, _model, optimizer, state, average) is { } name ? System.IO.Path.Combine(_run.Checkpoints, name) : last;
        Checkpoints.Prune(_run, _plan.Checkpoint.Keep);
        var records = _metrics.Read();
        if (records.Count > 0)
        {
            Plots.TrainingCurves(records, System.IO.Path.Combine(_run.Plots, "training.png"));
        }
        return new TrainingResult(state, records, last, Checkpoints.Best(_run), lastValidation);
    }

    private sealed record PhaseOutcome(TrainingState State, bool Interrupted, string? LastCheckpoint, ClassificationMetrics? Validation);

    /// <summary>The batch arithmetic of an epoch over <paramref name="Samples"/> training samples.</summary>
    private readonly record struct EpochShape(int Samples, int BatchSize, int Batches, int Accumulate, long StepsPerEpoch)
    {
        public static EpochShape Of(int samples, int batchSize, int accumulate)
        {
            // A batch larger than the split is the whole split (one batch per epoch), and a window longer than the epoch is
            // the epoch: the same batches and steps, with every index sum below within int (batch: 2147483647 once
            // overflowed to 0 batches and "trained" 0 steps).
            batchSize = Math.Min(batchSize, samples);
            int batches = (int)(((long)samples + batchSize - 1) / batchSize);
            // A last batch of one sample would break BatchNorm in the head; it is left out of that epoch.
            if (batches > 1 && samples % batchSize == 1)
            {
                batches--;
            }
            accumulate = Math.Min(accumulate, batches);
            return new EpochShape(samples, batchSize, batches, accumulate, ((long)batches + accumulate - 1) / accumulate);
        }

        /// <summary>The first batch of the accumulation window that batch <paramref name="b"/> belongs to.</summary>
        public int WindowStart(int b) => b / Accumulate * Accumulate;

        /// <summary>One past the last batch of batch <paramref name="b"/>'s window.</summary>
        public int WindowEnd(int b) => Math.Min(WindowStart(b) + Accumulate, Batches);
    }

    /// <summary>What a phase's batches share: its rates, its cached prefix and its epoch shape.</summary>
    private sealed record PhaseContext(PhasePlan Phase, RunOptimizer Optimizer, double[] BaseRates, int Prefix,
        FeatureCache? TrainCache, FeatureCache? ValidCache, EpochShape Shape, Tensor? ClassWeights)
    {
        public long TotalSteps => Shape.StepsPerEpoch * Phase.Epochs;
    }

    private PhaseOutcome RunPhase(PhasePlan phase, RunOptimizer optimizer, TrainingState state, long? stopAfterSteps, CancellationToken cancellation)
    {
        int prefix = _model.FrozenPrefixLength();
        bool cache = TrainingStep.CanCacheFeatures(_plan, _model, _data, prefix, phase.Augment);
        _observer.PhaseStarted(phase.Name, state.Phase, _plan.Phases.Count, phase.Epochs, cache);
        NativeHeap.ConfigureForPhase(usesFeatureCache: cache);

        using var caches = cache ? BuildCaches(prefix) : null;
        if (_data.TrainIndices.Length == 0)
        {
            throw new DataException($"{_data.Train}: no training samples are left (after the validation split and limits); phase '{phase.Name}' has nothing to train on.");
        }
        using var classWeights = _plan.ClassWeights is { Count: > 0 } w ? tensor(w.ToArray()) : null;
        var context = new PhaseContext(phase, optimizer, BaseRates(phase, optimizer.Names), prefix, caches?.Train, caches?.Valid,
            EpochShape.Of(_data.TrainIndices.Length, _plan.BatchSize, _plan.Accumulate), classWeights);

        string? lastCheckpoint = null;
        ClassificationMetrics? validation = null;
        for (int e = state.EpochInPhase; e < phase.Epochs; e++)
        {
            var watch = Stopwatch.StartNew();
            state = TrainEpoch(context, state, stopAfterSteps, cancellation, out string? stoppedAt);
            if (stoppedAt is not null)
            {
                return new PhaseOutcome(state, true, stoppedAt, validation);
            }
            validation = Validate(context, state);
            // The epoch's batches are freed: the heap's free pages (their working set, ~100 MiB in ResNet-18's layer4
            // phase) go back to the system between epochs, so what a process holds across epochs is what training
            // keeps, not where the heap's fragmentation happened to peak. The next epoch faults them back in (ms).
            NativeHeap.Trim();
            var record = RecordEpoch(context, state, validation, watch.Elapsed.TotalSeconds);
            state = state with { Epoch = state.Epoch + 1, EpochInPhase = e + 1, BatchInEpoch = 0, EpochLossSum = 0, EpochCorrect = 0, EpochSeen = 0 };
            state = Monitor(state, record, out bool best, out bool stopEarly);
            bool lastEpochOfRun = stopEarly || (e + 1 == phase.Epochs && state.Phase + 1 == _plan.Phases.Count);
            (state, lastCheckpoint) = CheckpointEpoch(optimizer, state, best, lastEpochOfRun, lastCheckpoint);
            if (stopEarly)
            {
                _observer.Message($"early stopping: {MonitoredMetric()} did not improve for {_plan.EarlyStopping!.Patience} epochs (best {state.Best:G4})");
                state = state with { Finished = true, StopReason = "early stopping" };
                break;
            }
        }
        return new PhaseOutcome(state, false, lastCheckpoint, validation);
    }

    /// <summary>Trains the rest of the current epoch; <paramref name="stoppedAt"/> is the checkpoint written when the
    /// step limit or a cancellation stopped it.</summary>
    private TrainingState TrainEpoch(PhaseContext context, TrainingState state, long? stopAfterSteps, CancellationToken cancellation, out string? stoppedAt)
    {
        var shape = context.Shape;
        int[] order = EpochOrder(shape.Samples, _plan.Seed, state.Epoch);
        _model.train();
        for (int b = state.BatchInEpoch; b < shape.Batches; b++)
        {
            var (lossSum, correct, count) = TrainBatch(context, state, order, b);
            state = state with
            {
                BatchInEpoch = b + 1,
                EpochLossSum = state.EpochLossSum + lossSum,
                EpochCorrect = state.EpochCorrect + correct,
                EpochSeen = state.EpochSeen + count,
            };
            if (b + 1 == shape.WindowEnd(b))
            {
                double factor = LearningRateSchedule.Factor(context.Phase.Schedule, state.PhaseStep, context.TotalSteps, shape.StepsPerEpoch);
                context.Optimizer.SetRates(context.BaseRates, factor);
                TrainingStep.Update(_model, context.Optimizer, _plan.ClipGradNorm);
                _average?.Update(_model, state.Step);
                state = state with { Step = state.Step + 1, PhaseStep = state.PhaseStep + 1 };
                if ((stopAfterSteps is long stop && state.Step >= stop) || cancellation.IsCancellationRequested)
                {
                    string name = Checkpoints.Save(_run, _model, context.Optimizer, state, _average);
                    _observer.Message($"stopped after step {state.Step}; checkpoint {name}");
                    stoppedAt = System.IO.Path.Combine(_run.Checkpoints, name);
                    return state;
                }
            }
            _observer.BatchCompleted(state.Epoch + 1, b + 1, shape.Batches, lossSum / count, CurrentRate(context.Optimizer));
        }
        stoppedAt = null;
        return state;
    }

    /// <summary>Forward and backward of batch <paramref name="b"/>, its loss scaled to its accumulation window.</summary>
    private (double LossSum, long Correct, int Count) TrainBatch(PhaseContext context, TrainingState state, int[] order, int b)
    {
        var shape = context.Shape;
        double windowWeight = WindowWeight(order, shape.WindowStart(b), shape.WindowEnd(b), shape.BatchSize, shape.Samples);
        using var scope = NewDisposeScope();
        var positions = order.AsSpan(b * shape.BatchSize, Math.Min(shape.BatchSize, shape.Samples - (b * shape.BatchSize)));
        var (logits, y, perSample) = TrainingStep.Loss(_model, _data, _plan, positions, context.TrainCache, context.Prefix, state.Epoch, context.Phase.Augment, context.ClassWeights);
        var total = perSample.sum();
        double lossSum = total.item<float>();
        if (!double.IsFinite(lossSum))
        {
            throw new TrainingDivergedException(string.Create(CultureInfo.InvariantCulture,
                $"the training loss became {lossSum} in phase '{context.Phase.Name}', epoch {state.Epoch + 1}, batch {b + 1} (learning rate {CurrentRate(context.Optimizer):G3}). Lower the learning rate or clip gradients. The last good checkpoint is {Checkpoints.Latest(_run) ?? "none (no epoch completed)"}."));
        }
        (total / windowWeight).backward();
        long correct = logits.argmax(1).eq(y).sum().item<long>();
        return (lossSum, correct, positions.Length);
    }

    private ClassificationMetrics? Validate(PhaseContext context, TrainingState state)
    {
        if (state.EpochSeen == 0)
        {
            // Never expected (every epoch has at least one batch and one step): refuse to record an untrained epoch.
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"phase '{context.Phase.Name}', epoch {state.Epoch + 1} trained no sample ({context.Shape.Samples} samples, batch {context.Shape.BatchSize}, {context.Shape.Batches} batches); not recording it as trained."));
        }
        // With train.ema the average is validated (and so decides the best checkpoint).
        using (_average?.Apply(_model))
        {
            return _data.ValidIndices.Length > 0
                ? Evaluator.Evaluate(_model, _data.Valid, _data.ValidIndices, _data.Preprocessor, context.Shape.BatchSize, _plan.Seed, context.ValidCache, context.Prefix)
                : null;
        }
    }

    private EpochRecord RecordEpoch(PhaseContext context, TrainingState state, ClassificationMetrics? validation, double seconds)
    {
        var record = new EpochRecord(state.Epoch + 1, context.Phase.Name, state.Step, CurrentRate(context.Optimizer),
            state.EpochLossSum / Math.Max(1, state.EpochSeen), (double)state.EpochCorrect / Math.Max(1, state.EpochSeen),
            validation?.Loss, validation?.Accuracy, validation?.Top5, validation?.MacroF1, seconds,
            context.TrainCache is null ? null : context.TrainCache.Seconds + (context.ValidCache?.Seconds ?? 0));
        _metrics.Append(record);
        _observer.EpochCompleted(record);
        return record;
    }

    /// <summary>Writes the epoch's checkpoint when the policy asks for one, marks it best when it improved, and prunes.</summary>
    private (TrainingState State, string? LastCheckpoint) CheckpointEpoch(RunOptimizer optimizer, TrainingState state, bool improved, bool lastEpochOfRun,
        string? lastCheckpoint)
    {
        if (!improved && !lastEpochOfRun && (state.Epoch % Math.Max(1, _plan.Checkpoint.EveryEpochs)) != 0)
        {
            return (state, lastCheckpoint);
        }
        string name = Checkpoints.Save(_run, _model, optimizer, state, _average);
        if (improved)
        {
            Checkpoints.MarkBest(_run, name);
            state = state with { BestCheckpoint = name };
        }
        Checkpoints.Prune(_run, _plan.Checkpoint.Keep);
        return (state, System.IO.Path.Combine(_run.Checkpoints, name));
    }

    /// <summary>The rate of the last parameter group (the head's), as reports show it.</summary>
    private static double CurrentRate(RunOptimizer optimizer) => optimizer.RateOf(optimizer.Names.Count - 1);

    /// <summary>A phase's feature caches, disposed together at the phase's end.</summary>
    private sealed record PhaseCaches(FeatureCache Train, FeatureCache? Valid) : IDisposable
    {
        public void Dispose()
        {
            Train.Dispose();
            Valid?.Dispose();
        }
    }

    private PhaseCaches BuildCaches(int prefix)
    {
        // The engine lives only while the caches are built: an ONNX Runtime session holds its own copy of the prefix's
        // weights and a memory pool, which the phase's epochs do not need.
        var train = (FeatureCache?)null;
        try
        {
            using (var engine = new FeatureEngine(_model, prefix, _plan.FeatureEngine, _plan.Threads, _observer.Message))
            {
                train = BuildCache(engine, prefix, _data.Train, _data.TrainIndices);
                // The average is validated; a frozen prefix an earlier phase trained differs from its average, so with
                // train.ema validation computes its features afresh.
                var caches = new PhaseCaches(train, _average is null ? BuildCache(engine, prefix, _data.Valid, _data.ValidIndices) : null);
                train = null;
                return caches;
            }
        }
        finally
        {
            train?.Dispose();
            NativeHeap.Trim();
        }
    }

    private FeatureCache BuildCache(FeatureEngine engine, int prefix, IImageSource source, int[] indices) =>
        FeatureCache.Build(_model, prefix, source, indices, _data.Preprocessor, _plan.BatchSize, _plan.Seed, _plan.CacheMemoryBytes, _run.Cache, _observer, engine);

    private double[] BaseRates(PhasePlan phase, IReadOnlyList<string> names) => BaseRates(phase, _plan.Optimizer, names);

    /// <summary>Each parameter's rate in <paramref name="phase"/> before the schedule: the first matching rule's, else the
    /// phase's, else the optimizer's (the torchrun exporter resolves the same rates).</summary>
    internal static double[] BaseRates(PhasePlan phase, OptimizerPlan optimizer, IReadOnlyList<string> names)
    {
        double fallback = phase.LearningRate ?? optimizer.LearningRate;
        return names.Select(name => phase.LearningRates.FirstOrDefault(r => r.Matches(name))?.LearningRate ?? fallback).ToArray();
    }

    private double WindowWeight(int[] order, int windowStart, int windowEnd, int batchSize, int n)
    {
        int from = windowStart * batchSize;
        int to = (int)Math.Min((long)windowEnd * batchSize, n);
        if (_plan.ClassWeights is not { Count: > 0 } weights)
        {
            return to - from;
        }
        double sum = 0;
        for (int i = from; i < to; i++)
        {
            sum += weights[_data.Train.LabelOf(_data.TrainIndices[order[i]])];
        }
        return sum;
    }

    /// <summary>The data order of an epoch: a pure function of the seed and the epoch, so a resume replays it.</summary>
    internal static int[] EpochOrder(int n, int seed, int epoch)
    {
        int[] order = Enumerable.Range(0, n).ToArray();
        // Not HashCode.Combine: it is randomised per process, and a resumed run must replay the same order.
        new Random(Data.SampleSeed.Of(seed, epoch, 0x5eed)).Shuffle(order);
        return order;
    }

    private string MonitoredMetric() => MonitoredMetric(_plan, _data.ValidIndices.Length > 0);

    /// <summary>The metric that decides "improved" (best checkpoint, early stopping).</summary>
    internal static string MonitoredMetric(TrainingPlan plan, bool hasValidation) =>
        plan.EarlyStopping?.Metric ?? plan.Checkpoint.Metric ?? (hasValidation ? "valid.accuracy" : "train.loss");

    /// <summary>Updates the best value and the patience; <paramref name="best"/> is true when the epoch becomes the best
    /// checkpoint: an improvement, or a tie on the monitored metric broken by a lower validation loss (which does not
    /// reset the patience: the metric itself did not improve).</summary>
    private TrainingState Monitor(TrainingState state, EpochRecord record, out bool best, out bool stopEarly)
    {
        string metric = MonitoredMetric();
        bool maximize = _plan.EarlyStopping?.Maximize ?? !metric.EndsWith("loss", StringComparison.Ordinal);
        double minDelta = _plan.EarlyStopping?.MinDelta ?? 0;
        double? value = metric switch
        {
            "valid.accuracy" => record.ValidAccuracy,
            "valid.loss" => record.ValidLoss,
            "valid.macro_f1" => record.ValidMacroF1,
            "valid.top5" => record.ValidTop5,
            "train.accuracy" => record.TrainAccuracy,
            _ => record.TrainLoss,
        };
        var (improved, tieWon) = Compare(value, state.Best, maximize, minDelta, metric == "valid.loss" ? null : record.ValidLoss, state.BestValidLoss);
        best = improved || tieWon;
        var next = improved ? state with { Best = value, BadEpochs = 0 } : state with { BadEpochs = state.BadEpochs + 1 };
        next = best ? next with { BestValidLoss = record.ValidLoss } : next;
        stopEarly = _plan.EarlyStopping is { } es && next.BadEpochs >= es.Patience;
        return next;
    }

    /// <summary>Whether <paramref name="value"/> improves on <paramref name="best"/> by more than <paramref name="minDelta"/>,
    /// and whether it ties it exactly with a validation loss below the best epoch's (null losses: no tie-break).</summary>
    internal static (bool Improved, bool TieWon) Compare(double? value, double? best, bool maximize, double minDelta, double? validLoss, double? bestValidLoss)
    {
        if (value is not double v)
        {
            return (false, false);
        }
        if (best is not double b)
        {
            return (true, false);
        }
        bool improved = maximize ? v > b + minDelta : v < b - minDelta;
        return (improved, !improved && v == b && validLoss is double loss && bestValidLoss is double bestLoss && loss < bestLoss);
    }
}
