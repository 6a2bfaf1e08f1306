using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using TLDsl.Spec.Catalogue;

namespace TLDsl.Bench;

/// <summary>The rows of the table.</summary>
internal enum TableMethod
{
    /// <summary>Logistic regression on raw pixels.</summary>
    Pixels,

    /// <summary>The network trained from random initialisation.</summary>
    Scratch,

    /// <summary>Pre-trained backbone frozen, new head trained.</summary>
    Frozen,

    /// <summary>As <see cref="Frozen"/>, then the last stage, then the last two stages unfrozen at lower rates.</summary>
    Gradual,
}

/// <summary>One scenario of the table: the pre-trained model, the target classes, how each method's pipeline is
/// written for a training-set size, and the validation and test sets.</summary>
/// <param name="Key">s1 or s2.</param>
/// <param name="Title">The section heading.</param>
/// <param name="Notes">Lines under the heading: what was trained on what.</param>
/// <param name="ValidPerClass">The fixed validation set (best checkpoint), from training images never trained on.</param>
/// <param name="TestPerClass">The stratified test subset per class, or null for the whole test set.</param>
/// <param name="Pipeline">The pipeline of a method for a training set of N images per class (null: all) and a number
/// of epochs scale (1: the full table, smaller for smoke tests).</param>
internal sealed record TableScenario(string Key, string Title, IReadOnlyList<string> Notes, int ValidPerClass, int? TestPerClass,
    Func<TableMethod, int, double, BenchPipeline> Pipeline)
{
    /// <summary>The phases of gradual unfreezing: head only, then the catalogue's last stage, then (with
    /// <paramref name="stages"/> 2) the last two stages, each stage at a lower rate than the layers above it.</summary>
    public static string GradualPhases(string model, int stages, int headEpochs, int stageEpochs, double headLr)
    {
        if (!ModelCatalogue.Default.TryGet(model, out var info) || info.Stages.Count < 2)
        {
            throw new InvalidOperationException($"the model catalogue has no stages for '{model}'");
        }
        string[] last = [.. info.Stages[^1]];
        string[] before = [.. info.Stages[^2]];
        string Rates(IEnumerable<(string[] Layers, double Lr)> groups) =>
            string.Join(", ", groups.SelectMany(g => g.Layers.Select(l => $"\"{l}\": {Num(g.Lr)}")).Append($"head: {Num(headLr / 3)}"));
        // A warm-up needs epochs after it; a one-epoch phase starts at its rate and decays.
        string schedule = stageEpochs >= 3 ? "{ cosine: { warmup_epochs: 1 } }" : "cosine";
        string[] phases =
        [
            $"    - {{ name: head, epochs: {headEpochs}, schedule: one_cycle }}",
            $"    - {{ name: last_stage, epochs: {stageEpochs}, unfreeze: [{Quoted(last)}], lr: {{ {Rates([(last, headLr / 10)])} }}, schedule: {schedule} }}",
            $"    - {{ name: last_two_stages, epochs: {stageEpochs}, unfreeze: [{Quoted(before)}], lr: {{ {Rates([(before, headLr / 100), (last, headLr / 30)])} }}, schedule: {schedule} }}",
        ];
        return string.Join('\n', phases[..(1 + Math.Clamp(stages, 1, 2))]);
    }

    /// <summary>The catalogue's classifier children of <paramref name="model"/>, for <c>drop</c>.</summary>
    public static string Classifier(string model) =>
        ModelCatalogue.Default.TryGet(model, out var info) && info.Classifier.Count > 0
            ? $"[{Quoted([.. info.Classifier])}]"
            : throw new InvalidOperationException($"the model catalogue has no classifier for '{model}'");

    /// <summary>Epochs for a training set of <paramref name="images"/>: about <paramref name="passes"/> image passes,
    /// within [<paramref name="min"/>, <paramref name="max"/>], times <paramref name="scale"/> (at least 1).</summary>
    public static int Epochs(int images, int passes, int min, int max, double scale) =>
        Math.Max(1, (int)Math.Round(Math.Clamp(Math.Ceiling((double)passes / images), min, max) * scale));

    public static string Num(double x) => x.ToString("0.######", CultureInfo.InvariantCulture);

    private static string Quoted(string[] names) => string.Join(", ", names.Select(n => $"\"{n}\""));
}
