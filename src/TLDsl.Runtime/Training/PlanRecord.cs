using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using TLDsl.Runtime.IO;
using TLDsl.Runtime.Onnx.Engine;

namespace TLDsl.Runtime.Training;

/// <summary>
/// The settings of a training plan that decide what a run computes, as a run folder's <c>plan.json</c>. The run keeps
/// its pipeline's text, but not the options that changed the plan on top of it (a generated <c>Options</c> record's seed,
/// batch, rate and epochs, or <c>TrainingOverrides.Customize</c>); a resume compares the two, so a run is never continued
/// with other settings than it started with. Threads and the feature cache are left out: they change no result (with
/// ONNX Runtime features, turning the cache off on resume changes the last bits). The engine that computes cached
/// features is kept (ONNX Runtime's and libtorch's arithmetic differ in the last bits).
/// </summary>
internal static class PlanRecord
{
    public const string FileName = "plan.json";
    private const string FeatureEngineKey = "feature_engine";
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static void Write(string runPath, TrainingPlan plan) =>
        AtomicFile.WriteAllText(Path.Combine(runPath, FileName), JsonSerializer.Serialize(Of(plan), Json));

    /// <summary>"key: started with X, now Y" for every setting that differs; empty when they agree or when the run has
    /// no record (it started before runs kept one).</summary>
    public static IReadOnlyList<string> Differences(string runPath, TrainingPlan plan)
    {
        string path = Path.Combine(runPath, FileName);
        if (!File.Exists(path))
        {
            return [];
        }
        SortedDictionary<string, string>? started;
        try
        {
            started = JsonSerializer.Deserialize<SortedDictionary<string, string>>(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"{path}: not a record of training settings ({e.Message}); the run folder is damaged.", e);
        }
        if (started is null)
        {
            throw new CheckpointException($"{path}: empty; the run folder is damaged.");
        }
        var now = Of(plan);
        return started.Keys.Union(now.Keys).Order(StringComparer.Ordinal)
            .Where(k => started.GetValueOrDefault(k) != now.GetValueOrDefault(k))
            .Select(k => $"{k}: started with {started.GetValueOrDefault(k) ?? "nothing"}, now {now.GetValueOrDefault(k) ?? "nothing"}")
            .ToList();
    }

    /// <summary>The engine a run's cached features were computed with: <c>ort</c> when its record says so, else
    /// <c>torch</c> (a run without the key, or without a record, used TorchSharp).</summary>
    public static InferenceEngine RecordedFeatureEngine(string runPath)
    {
        string path = Path.Combine(runPath, FileName);
        if (!File.Exists(path))
        {
            return InferenceEngine.Torch;
        }
        try
        {
            var started = JsonSerializer.Deserialize<SortedDictionary<string, string>>(File.ReadAllText(path));
            return started?.GetValueOrDefault(FeatureEngineKey) is { } word
                ? InferenceEngines.TryParse(word) ?? throw new CheckpointException($"{path}: {FeatureEngineKey} is '{word}', not one of {InferenceEngines.Allowed}; the run folder is damaged.")
                : InferenceEngine.Torch;
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"{path}: not a record of training settings ({e.Message}); the run folder is damaged.", e);
        }
    }

    public static SortedDictionary<string, string> Of(TrainingPlan plan)
    {
        static string S(object? value) => value is null ? "none" : Convert.ToString(value, CultureInfo.InvariantCulture) ?? "none";
        // A record's own ToString prints numbers in the current culture; this is invariant.
        static string J(object value) => string.Join(" ", value.GetType().GetProperties().Where(p => p.GetIndexParameters().Length == 0)
            .Select(p => $"{p.Name}={S(p.GetValue(value))}"));
        var o = plan.Optimizer;
        var record = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["seed"] = S(plan.Seed),
            ["batch"] = S(plan.BatchSize),
            ["accumulate"] = S(plan.Accumulate),
            ["optimizer"] = string.Create(CultureInfo.InvariantCulture, $"{o.Kind} lr {o.LearningRate:R} weight_decay {o.WeightDecay:R} momentum {o.Momentum:R} nesterov {o.Nesterov} betas {o.Beta1:R}/{o.Beta2:R}")
                // Runs recorded before eps reached the optimizer trained with the default and say nothing of it.
                + (o.Eps == OptimizerPlan.DefaultEps ? "" : string.Create(CultureInfo.InvariantCulture, $" eps {o.Eps:R}")),
            ["label_smoothing"] = S(plan.LabelSmoothing),
            ["clip_grad_norm"] = S(plan.ClipGradNorm),
            ["class_weights"] = plan.ClassWeights is null ? "none" : string.Join(" ", plan.ClassWeights.Select(w => S(w))),
            ["early_stopping"] = plan.EarlyStopping is { } e ? J(e) : "none",
            ["checkpoint"] = J(plan.Checkpoint),
        };
        // Only for ONNX Runtime: runs recorded before the engine existed computed their features with TorchSharp.
        if (InferenceEngines.Resolve(plan.FeatureEngine) == InferenceEngine.Ort)
        {
            record[FeatureEngineKey] = InferenceEngines.Name(InferenceEngine.Ort);
        }
        // Only when set: runs recorded before the average existed compare equal to a plan without one.
        if (plan.Ema is { } ema)
        {
            record["ema"] = J(ema);
        }
        for (int i = 0; i < plan.Phases.Count; i++)
        {
            var p = plan.Phases[i];
            record[string.Create(CultureInfo.InvariantCulture, $"phases[{i}]")] = string.Create(CultureInfo.InvariantCulture,
                $"{p.Name}: {p.Epochs} epochs, lr {S(p.LearningRate)}, rates {(p.LearningRates.Count == 0 ? "none" : string.Join(" ", p.LearningRates.Select(r => r.Pattern + "=" + S(r.LearningRate))))}, {(J(p.Schedule) is { Length: > 0 } settings ? $"{p.Schedule.GetType().Name} {settings}" : p.Schedule.GetType().Name)}")
                // Runs recorded before phases could turn augmentation off augmented every phase and say nothing of it.
                + (p.Augment ? "" : ", augment false");
        }
        return record;
    }
}
