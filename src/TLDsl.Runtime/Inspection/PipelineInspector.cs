using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using TLDsl.Runtime.Native;
using TLDsl.Runtime.Pipelines;
using TLDsl.Runtime.Surgery;

namespace TLDsl.Runtime.Inspection;

/// <summary>What one training phase of a pipeline trains.</summary>
/// <param name="Index">0-based phase number.</param>
/// <param name="Name">The phase's name.</param>
/// <param name="Epochs">Its epochs.</param>
/// <param name="Unfreezes">The phase's <c>unfreeze</c> patterns, as written.</param>
/// <param name="Freezes">The phase's <c>freeze</c> patterns, as written.</param>
/// <param name="Frozen">The shortest list of modules whose parameters are all frozen in this phase.</param>
/// <param name="Trained">The shortest list of modules whose parameters all train in this phase.</param>
/// <param name="HeldInEval">Modules held in eval mode (frozen BatchNorm statistics) in this phase.</param>
/// <param name="TrainableParameters">Parameter values that train.</param>
/// <param name="TotalParameters">All parameter values of the model.</param>
public sealed record PhaseReport(int Index, string Name, int Epochs, IReadOnlyList<string> Unfreezes, IReadOnlyList<string> Freezes,
    IReadOnlyList<string> Frozen, IReadOnlyList<string> Trained, IReadOnlyList<string> HeldInEval, long TrainableParameters, long TotalParameters)
{
    /// <summary>The phase's learning rates: "pattern rate" per rule (first match wins), then "others rate".</summary>
    public IReadOnlyList<string> Rates { get; init; } = [];

    /// <summary>The schedule's name, and whether the phase trains with the data's augmentation.</summary>
    public string Schedule { get; init; } = "";
}

/// <summary>What a pipeline does to its base model.</summary>
/// <param name="Pipeline">The pipeline's name.</param>
/// <param name="BaseModel">The catalogue name of the base model.</param>
/// <param name="Weights">The weights as written, or null for random initialisation.</param>
/// <param name="Labels">Class names in label order.</param>
/// <param name="Dropped">Top-level modules of the base model removed by <c>drop</c> or <c>cut_at</c>.</param>
/// <param name="FeatureShape">One sample's backbone output (the head's input).</param>
/// <param name="Added">The added head layers (depth-1 rows under <c>head</c>).</param>
/// <param name="Model">The model's layer tree before the first phase (after the freeze rules).</param>
/// <param name="Phases">Per phase, what trains.</param>
public sealed record PipelineReport(string Pipeline, string BaseModel, string? Weights, IReadOnlyList<string> Labels,
    IReadOnlyList<string> Dropped, IReadOnlyList<long> FeatureShape, IReadOnlyList<LayerInfo> Added, ModelReport Model,
    IReadOnlyList<PhaseReport> Phases);

/// <summary>Builds a pipeline's model (without loading its pre-trained weights: the structure and trainability do not
/// depend on them) and replays its phases' <c>unfreeze</c>/<c>freeze</c> as the trainer does.</summary>
public static class PipelineInspector
{
    /// <summary>Inspects <paramref name="pipeline"/>.</summary>
    /// <exception cref="PipelineException">The pipeline cannot be interpreted by this runtime.</exception>
    /// <exception cref="SurgeryException">The surgery does not fit the model.</exception>
    public static PipelineReport Inspect(PipelineFile pipeline)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        TorchNative.EnsureLoaded();
        var spec = pipeline.Spec;
        var labels = PipelineInterpreter.Labels(pipeline);
        var plan = PipelineInterpreter.ModelPlan(pipeline, labels) with { Weights = WeightsSource.None };
        var training = PipelineInterpreter.TrainingPlan(spec);
        using var model = TransferModelBuilder.Build(plan, spec.Name);
        var size = plan.InputSize;
        var initial = ModelInspector.Inspect(model, size);
        var phases = new List<PhaseReport>();
        for (int i = 0; i < training.Phases.Count; i++)
        {
            var phase = training.Phases[i];
            foreach (var unfreeze in phase.Unfreeze)
            {
                model.Unfreeze(unfreeze);
            }
            foreach (var rule in phase.Freeze)
            {
                model.Freeze(rule);
            }
            var report = i == 0 && phase.Unfreeze.Count == 0 && phase.Freeze.Count == 0 ? initial : ModelInspector.Inspect(model, size);
            var phaseSpec = spec.Train.Phases[i];
            phases.Add(new PhaseReport(i, phase.Name, phase.Epochs, phaseSpec.Unfreeze.ToArray(), phaseSpec.Freeze.ToArray(),
                report.Summarize(trainable: false), report.Summarize(trainable: true),
                HeldInEvalRoots(report), report.TrainableParameters, report.TotalParameters)
            {
                Rates = [.. phase.LearningRates.Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.Pattern} {r.LearningRate:G4}")),
                    string.Create(CultureInfo.InvariantCulture, $"others {phase.LearningRate ?? training.Optimizer.LearningRate:G4}")],
                Schedule = phase.Schedule.GetType().Name switch { "OneCycleSchedule" => "one_cycle", var n => n.Replace("Schedule", "", StringComparison.Ordinal).ToLowerInvariant() } + (phase.Augment ? "" : ", no augmentation"),
            });
        }
        var added = initial.Layers.Where(l => l.Name.StartsWith("head.", StringComparison.Ordinal) && l.Depth == 2).ToArray();
        return new PipelineReport(spec.Name, plan.Architecture.Name,
            spec.Base.Weights, labels, model.Cut.Dropped.ToArray(), model.FeatureShape.ToArray(), added, initial, phases);
    }

    private static string[] HeldInEvalRoots(ModelReport report)
    {
        var roots = new List<string>();
        foreach (var layer in report.Layers.Where(l => l.HeldInEval))
        {
            if (!roots.Any(r => layer.Name.StartsWith(r + ".", StringComparison.Ordinal)))
            {
                roots.Add(layer.Name);
            }
        }
        return [.. roots];
    }
}
