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

    /// <summary>The <c>fine_tune</c> recipe: the new head on the frozen backbone (features cached), then every layer
    /// unfrozen with layer-wise rate decay, with the regularisation of <see cref="TableAblation.Recipe"/>.</summary>
    FineTune,
}

/// <summary>What the <c>fine_tune</c> cells add to the recipe (the ablation's rows); every one is tested with and
/// without test-time flips.</summary>
internal enum TableAblation
{
    /// <summary>No augmentation, no weight average.</summary>
    Plain,

    /// <summary><c>trivial_augment</c> in the unfrozen phase.</summary>
    TrivialAugment,

    /// <summary><c>mixup</c> and <c>cutmix</c> (each sample one of them) in the unfrozen phase.</summary>
    MixCut,

    /// <summary>A weight average (<c>ema</c>).</summary>
    Ema,

    /// <summary>Method (e): <c>trivial_augment</c> + <c>mixup</c>/<c>cutmix</c>.</summary>
    Recipe,

    /// <summary>Everything: <c>trivial_augment</c> + <c>mixup</c>/<c>cutmix</c> + <c>ema</c>.</summary>
    All,
}

/// <summary>One pipeline of a scenario: a method (and for <see cref="TableMethod.FineTune"/> an ablation row) trained on
/// <paramref name="Images"/> images, with <paramref name="Scale"/> times the table's epochs (at least one) and
/// <c>train.seed</c> 42 + <paramref name="Seed"/>.</summary>
internal sealed record TableCellSpec(TableMethod Method, TableAblation Ablation, int Images, double Scale, int Seed);

/// <summary>One scenario of the table: the pre-trained model, the target classes, how each method's pipeline is
/// written for a training-set size, and the validation and test sets.</summary>
/// <param name="Key">s1 or s2.</param>
/// <param name="Title">The section heading.</param>
/// <param name="Notes">Lines under the heading: what was trained on what.</param>
/// <param name="ValidPerClass">The fixed validation set (best checkpoint), from training images never trained on.</param>
/// <param name="TestPerClass">The stratified test subset per class, or null for the whole test set.</param>
/// <param name="Pipeline">The pipeline of a cell.</param>
internal sealed record TableScenario(string Key, string Title, IReadOnlyList<string> Notes, int ValidPerClass, int? TestPerClass,
    Func<TableCellSpec, BenchPipeline> Pipeline)
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

    /// <summary>The <c>fine_tune</c> recipe with its epochs and rates.</summary>
    public static string FineTuneRecipe(int freezeEpochs, int epochs, double lr, double lrDecay) =>
        $"{{ fine_tune: {{ freeze_epochs: {freezeEpochs}, epochs: {epochs}, lr: {Num(lr)}, lr_decay: {Num(lrDecay)} }} }}";

    /// <summary>The <c>data.augment</c> list of an ablation row (indented for <see cref="BenchPipeline.ExtraData"/>),
    /// with test-time flips.</summary>
    public static string FineTuneData(TableAblation ablation) => ablation switch
    {
        TableAblation.Plain or TableAblation.Ema => "  tta: [flip]",
        TableAblation.TrivialAugment => "  augment: [trivial_augment]\n  tta: [flip]",
        TableAblation.MixCut => "  augment: [mixup, cutmix]\n  tta: [flip]",
        TableAblation.Recipe or TableAblation.All => "  augment: [trivial_augment, mixup, cutmix]\n  tta: [flip]",
        _ => throw new ArgumentOutOfRangeException(nameof(ablation), ablation, "unknown ablation row"),
    };

    /// <summary>The <c>train.ema</c> line of an ablation row, or nothing.</summary>
    public static string FineTuneTrain(TableAblation ablation) => ablation switch
    {
        TableAblation.Ema or TableAblation.All => "  ema: { decay: 0.999 }",
        TableAblation.Plain or TableAblation.TrivialAugment or TableAblation.MixCut or TableAblation.Recipe => "",
        _ => throw new ArgumentOutOfRangeException(nameof(ablation), ablation, "unknown ablation row"),
    };

    /// <summary>The from-scratch augmentation: flips and shifts of up to a seventh of the side (4 pixels of 28), and
    /// the same test-time flips as (e), so that neither side has a trick the other lacks.</summary>
    public static string ScratchData(int size) => $"  augment: [flip, {{ pad_crop: {{ padding: {Math.Max(1, size / 7)} }} }}]\n  tta: [flip]";

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
