using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Threading;
using TLDsl.Runtime.Data;
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
        if (resumeFrom is not null)
        {
            state = Checkpoints.ReadState(resumeFrom);
            Checkpoints.LoadModel(resumeFrom, _model);
            for (int p = 0; p <= Math.Min(state.Phase, _plan.Phases.Count - 1); p++)
            {
                ApplyTrainability(_plan.Phases[p]);
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
                ApplyTrainability(phase);
                state = state with { Phase = p, EpochInPhase = 0, PhaseStep = 0, BatchInEpoch = 0 };
            }
            var outcome = RunPhase(phase, optimizer, state, stopAfterSteps, cancellation);
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
        last = Checkpoints.Save(_run, _model, optimizer, state) is { } name ? System.IO.Path.Combine(_run.Checkpoints, name) : last;
        Checkpoints.Prune(_run, _plan.Checkpoint.Keep);
        var records = _metrics.Read();
        if (records.Count > 0)
        {
            Plots.TrainingCurves(records, System.IO.Path.Combine(_run.Plots, "training.png"));
        }
        return new TrainingResult(state, records, last, Checkpoints.Best(_run), lastValidation);
    }

    private sealed record PhaseOutcome(TrainingState State, bool Interrupted, string? LastCheckpoint, ClassificationMetrics? Validation);

    private PhaseOutcome RunPhase(PhasePlan phase, RunOptimizer optimizer, TrainingState state, long? stopAfterSteps, CancellationToken cancellation)
    {
        var baseRates = BaseRates(phase, _plan.Optimizer.LearningRate, optimizer.Names);
        int prefix = _model.FrozenPrefixLength();
        bool cache = _plan.CacheFeatures && prefix > 0 && _model.IsPrefixDeterministic(prefix) && !(phase.Augment && _data.Preprocessor.HasRandomAugmentation);
        _observer.PhaseStarted(phase.Name, state.Phase, _plan.Phases.Count, phase.Epochs, cache);

        using var trainCache = cache ? BuildCache(prefix, _data.Train, _data.TrainIndices) : null;
        using var validCache = cache ? BuildCache(prefix, _data.Valid, _data.ValidIndices) : null;

        int n = _data.TrainIndices.Length;
        if (n == 0)
        {
            throw new DataException($"{_data.Train}: no training samples are left (after the validation split and limits); phase '{phase.Name}' has nothing to train on.");
        }
        // A batch larger than the split is the whole split (one batch per epoch), and a window longer than the epoch is
        // the epoch: the same batches and steps, with every index sum below within int (batch: 2147483647 once
        // overflowed to 0 batches and "trained" 0 steps).
        int batchSize = Math.Min(_plan.BatchSize, n);
        int batches = (int)(((long)n + batchSize - 1) / batchSize);
        // A last batch of one sample would break BatchNorm in the head; it is left out of that epoch.
        if (batches > 1 && n % batchSize == 1)
        {
            batches--;
        }
        int accumulate = Math.Min(_plan.Accumulate, batches);
        long stepsPerEpoch = ((long)batches + accumulate - 1) / accumulate;
        long totalSteps = stepsPerEpoch * phase.Epochs;
        using var classWeights = _plan.ClassWeights is { Count: > 0 } w ? tensor(w.ToArray()) : null;

        string? lastCheckpoint = null;
        ClassificationMetrics? validation = null;
        for (int e = state.EpochInPhase; e < phase.Epochs; e++)
        {
            var watch = Stopwatch.StartNew();
            int[] order = EpochOrder(n, _plan.Seed, state.Epoch);
            _model.train();
            for (int b = state.BatchInEpoch; b < batches; b++)
            {
                int windowStart = b / accumulate * accumulate;
                int windowEnd = Math.Min(windowStart + accumulate, batches);
                double windowWeight = WindowWeight(order, windowStart, windowEnd, batchSize, n);
                double lossSum;
                long correct;
                int count;
                using (var scope = NewDisposeScope())
                {
                    var positions = order.AsSpan(b * batchSize, Math.Min(batchSize, n - (b * batchSize)));
                    count = positions.Length;
                    int[] sampleIndices = new int[count];
                    for (int i = 0; i < count; i++)
                    {
                        sampleIndices[i] = _data.TrainIndices[positions[i]];
                    }
                    var y = ImagePreprocessor.Labels(_data.Train, sampleIndices);
                    var logits = trainCache is null
                        ? _model.call(_data.Preprocessor.Batch(_data.Train, sampleIndices, train: phase.Augment, _plan.Seed, state.Epoch))
                        : _model.ForwardFrom(trainCache.Gather(positions), prefix);
                    var perSample = nn.functional.cross_entropy(logits, y, classWeights, reduction: nn.Reduction.None, label_smoothing: _plan.LabelSmoothing);
                    if (classWeights is not null)
                    {
                        perSample = perSample * classWeights.index_select(0, y);
                    }
                    var total = perSample.sum();
                    lossSum = total.item<float>();
                    if (!double.IsFinite(lossSum))
                    {
                        throw new TrainingDivergedException(string.Create(CultureInfo.InvariantCulture,
                            $"the training loss became {lossSum} in phase '{phase.Name}', epoch {state.Epoch + 1}, batch {b + 1} (learning rate {optimizer.RateOf(optimizer.Names.Count - 1):G3}). Lower the learning rate or clip gradients. The last good checkpoint is {Checkpoints.Latest(_run) ?? "none (no epoch completed)"}."));
                    }
                    (total / windowWeight).backward();
                    correct = logits.argmax(1).eq(y).sum().item<long>();
                }
                state = state with
                {
                    BatchInEpoch = b + 1,
                    EpochLossSum = state.EpochLossSum + lossSum,
                    EpochCorrect = state.EpochCorrect + correct,
                    EpochSeen = state.EpochSeen + count,
                };
                if (b + 1 == windowEnd)
                {
                    double factor = LearningRateSchedule.Factor(phase.Schedule, state.PhaseStep, totalSteps, stepsPerEpoch);
                    optimizer.SetRates(baseRates, factor);
                    // zero_grad reads every trained parameter's .grad, and each read makes a new tensor: outside a scope
                    // one per parameter per step waited for a finalizer, keeping that step's gradient alive (issue #18).
                    using (NewDisposeScope())
                    {
                        if (_plan.ClipGradNorm is double clip)
                        {
                            nn.utils.clip_grad_norm_(_model.parameters().Where(p => p.requires_grad), clip);
                        }
                        optimizer.Optimizer.step();
                        optimizer.Optimizer.zero_grad();
                    }
                    state = state with { Step = state.Step + 1, PhaseStep = state.PhaseStep + 1 };
                    if ((stopAfterSteps is long stop && state.Step >= stop) || cancellation.IsCancellationRequested)
                    {
                        string name = Checkpoints.Save(_run, _model, optimizer, state);
                        _observer.Message($"stopped after step {state.Step}; checkpoint {name}");
                        return new PhaseOutcome(state, true, System.IO.Path.Combine(_run.Checkpoints, name), validation);
                    }
                }
                _observer.BatchCompleted(state.Epoch + 1, b + 1, batches, lossSum / count, optimizer.RateOf(optimizer.Names.Count - 1));
            }

            if (state.EpochSeen == 0)
            {
                // Never expected (every epoch has at least one batch and one step): refuse to record an untrained epoch.
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                    $"phase '{phase.Name}', epoch {state.Epoch + 1} trained no sample ({n} samples, batch {batchSize}, {batches} batches); not recording it as trained."));
            }
            validation = _data.ValidIndices.Length > 0
                ? Evaluator.Evaluate(_model, _data.Valid, _data.ValidIndices, _data.Preprocessor, batchSize, _plan.Seed, validCache, prefix)
                : null;
            var record = new EpochRecord(state.Epoch + 1, phase.Name, state.Step, optimizer.RateOf(optimizer.Names.Count - 1),
                state.EpochLossSum / Math.Max(1, state.EpochSeen), (double)state.EpochCorrect / Math.Max(1, state.EpochSeen),
                validation?.Loss, validation?.Accuracy, validation?.Top5, validation?.MacroF1, watch.Elapsed.TotalSeconds,
                trainCache is null ? null : trainCache.Seconds + (validCache?.Seconds ?? 0));
            _metrics.Append(record);
            _observer.EpochCompleted(record);

            state = state with { Epoch = state.Epoch + 1, EpochInPhase = e + 1, BatchInEpoch = 0, EpochLossSum = 0, EpochCorrect = 0, EpochSeen = 0 };
            state = Monitor(state, record, out bool improved, out bool stopEarly);
            bool lastEpochOfRun = stopEarly || (e + 1 == phase.Epochs && state.Phase + 1 == _plan.Phases.Count);
            if (improved || lastEpochOfRun || (state.Epoch % Math.Max(1, _plan.Checkpoint.EveryEpochs)) == 0)
            {
                string name = Checkpoints.Save(_run, _model, optimizer, state);
                lastCheckpoint = System.IO.Path.Combine(_run.Checkpoints, name);
                if (improved)
                {
                    Checkpoints.MarkBest(_run, name);
                    state = state with { BestCheckpoint = name };
                }
                Checkpoints.Prune(_run, _plan.Checkpoint.Keep);
            }
            if (stopEarly)
            {
                _observer.Message($"early stopping: {MonitoredMetric()} did not improve for {_plan.EarlyStopping!.Patience} epochs (best {state.Best:G4})");
                state = state with { Finished = true, StopReason = "early stopping" };
                break;
            }
        }
        return new PhaseOutcome(state, false, lastCheckpoint, validation);
    }

    private FeatureCache BuildCache(int prefix, IImageSource source, int[] indices) =>
        FeatureCache.Build(_model, prefix, source, indices, _data.Preprocessor, _plan.BatchSize, _plan.Seed, _plan.CacheMemoryBytes, _run.Cache, _observer);

    private void ApplyTrainability(PhasePlan phase)
    {
        foreach (var unfreeze in phase.Unfreeze)
        {
            _model.Unfreeze(unfreeze);
        }
        foreach (var rule in phase.Freeze)
        {
            _model.Freeze(rule);
        }
    }

    /// <summary>Each parameter's rate in <paramref name="phase"/> before the schedule: the first matching rule's, else the
    /// phase's, else the optimizer's.</summary>
    internal static double[] BaseRates(PhasePlan phase, double optimizerRate, IReadOnlyList<string> names)
    {
        double fallback = phase.LearningRate ?? optimizerRate;
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

    private string MonitoredMetric() =>
        _plan.EarlyStopping?.Metric ?? _plan.Checkpoint.Metric ?? (_data.ValidIndices.Length > 0 ? "valid.accuracy" : "train.loss");

    private TrainingState Monitor(TrainingState state, EpochRecord record, out bool improved, out bool stopEarly)
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
        improved = value is double v && (state.Best is not double best || (maximize ? v > best + minDelta : v < best - minDelta));
        var next = improved ? state with { Best = value, BadEpochs = 0 } : state with { BadEpochs = state.BadEpochs + 1 };
        stopEarly = _plan.EarlyStopping is { } es && next.BadEpochs >= es.Patience;
        return next;
    }
}
