using System.Globalization;
using TLDsl.Spec.Model;
using TLDsl.Spec.Yaml;
using static TLDsl.Spec.Parsing.TreeValues;

namespace TLDsl.Spec.Parsing;

/// <summary>
/// <c>train.recipe</c>: shorthands that expand into explicit phases when the pipeline is read, so everything after the
/// parser (validation, <c>tldsl inspect</c>, the generated trainer, a run's <c>plan.json</c>) sees ordinary phases.
/// </summary>
/// <remarks>
/// <para><c>fine_tune</c> follows fastai's <c>Learner.fine_tune</c>: train the new head on the frozen backbone, then
/// unfreeze everything and train at half the rate, with lower rates for earlier layers. It expands to:</para>
/// <list type="number">
/// <item><c>{ name: head, epochs: freeze_epochs, lr: lr, schedule: one_cycle, augment: false }</c>: without random
/// augmentation the frozen backbone's features are computed once and reused every epoch, so these epochs are nearly free;</item>
/// <item><c>{ name: fine_tune, epochs: epochs, unfreeze: ["**"], lr: lr / 2, lr_decay: lr_decay, schedule: one_cycle }</c>:
/// every layer trains, with <c>data.augment</c>, each stage at lr_decay times the rate of the stage above it.</item>
/// </list>
/// <para>With no <c>freeze</c> rules of its own the pipeline gets <c>freeze: [backbone]</c>, as fastai's recipe freezes
/// the body itself; written rules are kept (e.g. <c>batchnorm: train</c>, or freezing fewer stages).</para>
/// <para>The head rate <c>lr</c> defaults to the optimizer's when the pipeline writes one, else to fastai's 2e-3 (the
/// optimizer's own default, 1e-3, trained issue #17's head too slowly for its few steps).</para>
/// <para>Differences from fastai, and why: both phases use TLDsl's one_cycle with its default warm-up of a quarter of
/// the phase (fastai warms the frozen phase up for 99% of it, which on small data, a handful of steps per epoch,
/// leaves almost no steps at the full rate); the per-group spread is a per-stage decay rather than fastai's
/// <c>lr_mult=100</c> across its parameter groups (0.4 per stage over a ResNet's five stages is a 100× spread, close
/// to fastai's); and the frozen phase defaults to several epochs instead of one, because cached epochs cost
/// milliseconds and small data gives few optimizer steps per epoch.</para>
/// </remarks>
public static class Recipes
{
    /// <summary><c>fine_tune.epochs</c> when omitted: epochs with everything unfrozen.</summary>
    public const int FineTuneEpochs = 5;

    /// <summary><c>fine_tune.freeze_epochs</c> when omitted: epochs of the head on the frozen backbone.</summary>
    public const int FineTuneFreezeEpochs = 10;

    /// <summary><c>fine_tune.lr</c> when neither it nor the optimizer's <c>lr</c> is written: fastai's <c>base_lr</c>.</summary>
    public const double FineTuneLr = 2e-3;

    /// <summary><c>fine_tune.lr_decay</c> when omitted.</summary>
    public const double FineTuneLrDecay = 0.4;

    internal const string FineTuneLrDecayText = "0.4";

    /// <summary>Whether <paramref name="train"/> names a recipe that freezes the backbone when the pipeline has no rules.</summary>
    internal static bool FreezesBackbone(YMapping? train) => Tag(Get(train, "recipe")).Tag == "fine_tune";

    /// <summary>The phases a recipe stands for; <paramref name="optimizerLr"/> is the optimizer's rate,
    /// <paramref name="optimizerLrWritten"/> whether the pipeline wrote it.</summary>
    internal static PhaseSpec[] Expand(YNode? recipe, double optimizerLr, bool optimizerLrWritten, ScheduleSpec oneCycle)
    {
        var (tag, body) = Tag(recipe);
        var map = Map(body);
        switch (tag)
        {
            case "fine_tune":
                double? lr = Num(map, "lr") ?? (optimizerLrWritten ? null : FineTuneLr);
                return new[]
                {
                    new PhaseSpec("head", Int(map, "freeze_epochs") ?? FineTuneFreezeEpochs, default, default, lr, default, oneCycle)
                    {
                        Augment = false,
                    },
                    new PhaseSpec("fine_tune", Int(map, "epochs") ?? FineTuneEpochs, EquatableArray.Of("**"), default, (lr ?? optimizerLr) / 2, default, oneCycle)
                    {
                        LrDecay = Num(map, "lr_decay") ?? FineTuneLrDecay,
                    },
                };
            default:
                // The key table admits only the recipes above and has reported any other name; the builder still runs
                // over a tree with errors, so this stands in for it (the spec is never used: the pipeline has an error).
                return new[] { new PhaseSpec("phase1", 1, default, default, null, default, oneCycle) };
        }
    }

    /// <summary>One line per phase, as the expansion's snapshot test and the documentation show it.</summary>
    public static string Describe(PhaseSpec phase)
    {
        var c = CultureInfo.InvariantCulture;
        var text = phase.Name + ": " + phase.Epochs.ToString(c) + " epochs";
        if (phase.Unfreeze.Count > 0)
        {
            text += ", unfreeze [" + string.Join(", ", phase.Unfreeze) + "]";
        }
        if (phase.Freeze.Count > 0)
        {
            text += ", freeze [" + string.Join(", ", phase.Freeze) + "]";
        }
        text += ", lr " + (phase.Lr is double lr ? lr.ToString("G6", c) : "(optimizer's)");
        if (phase.LrDecay is double decay)
        {
            text += ", lr_decay " + decay.ToString("G6", c);
        }
        if (phase.LrGroups.Count > 0)
        {
            text += ", rates {" + string.Join(", ", System.Linq.Enumerable.Select(phase.LrGroups, g => g.Pattern + ": " + g.Lr.ToString("G6", c))) + "}";
        }
        text += ", schedule " + phase.Schedule.Kind.ToString();
        if (!phase.Augment)
        {
            text += ", augment false";
        }
        return text;
    }
}
