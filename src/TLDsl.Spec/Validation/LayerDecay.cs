using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using TLDsl.Spec.Diagnostics;
using TLDsl.Spec.Model;
using TLDsl.Spec.Registries;

namespace TLDsl.Spec.Validation;

/// <summary>
/// Resolves a phase's <c>lr_decay</c> into explicit per-layer rates, so the runtime, <c>tldsl inspect</c> and a run's
/// <c>plan.json</c> see ordinary discriminative rates.
/// </summary>
/// <remarks>
/// The base rate B is the phase's head rate: one_cycle's <c>max_lr</c>, else the phase's <c>lr</c>, else the
/// optimizer's. The stages are the base model's (the catalogue's <c>stages</c>, or an ONNX layer listing's) that survive
/// <c>drop</c>/<c>cut_at</c>; the stage right under the head gets B × d, the one below B × d², and so on down to the
/// stem. Layers after the last stage and the head keep B. Rates written in the phase's <c>lr</c> map come first, so
/// they win over the decayed ones for the layers they select.
/// </remarks>
internal sealed class LayerDecay
{
    private readonly ValidationContext _ctx;

    public LayerDecay(ValidationContext context) => _ctx = context;

    public TrainSpec Resolve(TrainSpec train, BaseSpec baseSpec)
    {
        // A rejected key (an lr_decay out of range, a broken phase) has been reported already.
        if (!train.Phases.Any(p => p.LrDecay is not null) || _ctx.Checker.HasErrorsUnder("train"))
        {
            return train;
        }
        var phases = train.Phases.ToArray();
        for (int i = 0; i < phases.Length; i++)
        {
            if (phases[i].LrDecay is double decay)
            {
                phases[i] = Resolve(phases[i], i, decay, train.Optimizer.Lr, baseSpec);
            }
        }
        return train with { Phases = EquatableArray.From(phases) };
    }

    /// <summary>The decayed rate of each stage, top stage first: (stage members, rate).</summary>
    public static IReadOnlyList<(IReadOnlyList<string> Members, double Rate)> StageRates(
        IReadOnlyList<IReadOnlyList<string>> keptStages, double baseRate, double decay)
    {
        var rates = new List<(IReadOnlyList<string>, double)>();
        double rate = baseRate;
        for (int k = keptStages.Count - 1; k >= 0; k--)
        {
            rate *= decay;
            rates.Add((keptStages[k], rate));
        }
        return rates;
    }

    private PhaseSpec Resolve(PhaseSpec phase, int index, double decay, double optimizerLr, BaseSpec baseSpec)
    {
        string path = Path(index);
        var model = _ctx.Model;
        if (model is null)
        {
            // An ONNX model without a layer listing: its stages are not known before it is imported.
            if (baseSpec.Source == BaseModelSource.Onnx && baseSpec.LayersPath is null)
            {
                _ctx.Report(DiagnosticDescriptors.RequiresOtherKey, path, path, "with a catalogue model or an ONNX model with base.layers (it needs the model's stages)");
            }
            return phase;
        }
        var dropped = new HashSet<string>(baseSpec.Drop, StringComparer.Ordinal);
        var kept = model.Stages
            .Select(s => (IReadOnlyList<string>)s.Where(m => !dropped.Contains(m.Split('.')[0])).ToArray())
            .Where(s => s.Count > 0)
            .ToArray();
        if (kept.Length == 0)
        {
            _ctx.Report(DiagnosticDescriptors.RequiresOtherKey, path, path, "on a model with stages ('" + model.Name + "' lists none after drop/cut_at)");
            return phase;
        }
        double baseRate = phase.Schedule.Kind == ScheduleKind.OneCycle && phase.Schedule.MaxLr is double max ? max : phase.Lr ?? optimizerLr;
        var stages = StageRates(kept, baseRate, decay);
        double lowest = stages[stages.Count - 1].Rate;
        if (lowest < Schema.PipelineKeys.MinRate)
        {
            _ctx.Report(DiagnosticDescriptors.OutOfRange, path, path,
                "large enough that the lowest stage's rate (" + baseRate.ToString("0.###e0", CultureInfo.InvariantCulture) + " × lr_decay^" + stages.Count.ToString(CultureInfo.InvariantCulture) + ") is at least 1e-12",
                decay.ToString("R", CultureInfo.InvariantCulture));
            return phase;
        }
        var groups = phase.LrGroups.Concat(stages.SelectMany(s => s.Members.Select(m => new LrGroupSpec(m, s.Rate))));
        return phase with { LrGroups = EquatableArray.From(groups) };
    }

    // The key's own location; for a recipe's phase (no such key in the file) the recipe's.
    private string Path(int index)
    {
        string key = "train.phases[" + index.ToString(CultureInfo.InvariantCulture) + "].lr_decay";
        return _ctx.Locator.Has(key) ? key
            : _ctx.Locator.Has("train.recipe.fine_tune.lr_decay") ? "train.recipe.fine_tune.lr_decay"
            : "train.recipe";
    }
}
