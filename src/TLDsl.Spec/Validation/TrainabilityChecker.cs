using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using TLDsl.Spec.Diagnostics;
using TLDsl.Spec.Model;
using TLDsl.Spec.Registries;

namespace TLDsl.Spec.Validation;

/// <summary>
/// Resolves freeze rules and phase unfreeze/freeze/lr patterns against the kept layers and replays the phases:
/// every pattern must select something, unfreezing what is already trainable is a warning, and a phase with nothing
/// left to train is an error. Words: <c>head</c> (added layers), <c>backbone</c> (base layers), <c>all</c>.
/// </summary>
internal sealed class TrainabilityChecker
{
    private const string HeadUnit = "\u0000head";
    private readonly ValidationContext _ctx;

    public TrainabilityChecker(ValidationContext context) => _ctx = context;

    /// <summary>Replays freeze rules and phases; returns the frozen state of each phase (empty when the model is unknown).</summary>
    public List<PhaseFreezeState> Check(EquatableArray<FreezeRuleSpec> rules, EquatableArray<PhaseSpec> phases)
    {
        var states = new List<PhaseFreezeState>();
        var model = _ctx.Model;
        if (model is null || _ctx.KeptModules.Count == 0)
        {
            return states;
        }

        // Units of training: kept modules that own parameters, plus the head as one unit.
        var kept = new HashSet<string>(_ctx.KeptModules, StringComparer.Ordinal);
        var owners = new HashSet<string>(model.Modules.Where(m => !m.Parameters.IsEmpty && kept.Contains(m.Name)).Select(m => m.Name), StringComparer.Ordinal);
        var frozen = new Dictionary<string, BatchNormPolicy>(StringComparer.Ordinal);
        var freezeBroken = _ctx.Checker.HasErrorsUnder("freeze");
        for (var i = 0; i < rules.Count; i++)
        {
            foreach (var name in SelectRule(rules[i], "freeze[" + I(i) + "]", owners))
            {
                frozen[name] = rules[i].BatchNorm;
            }
        }

        if (_ctx.Checker.HasErrorsUnder("train.phases") || _ctx.Checker.HasErrorsUnder("train.epochs"))
        {
            return states;
        }

        for (var p = 0; p < phases.Count; p++)
        {
            var phase = phases[p];
            var phasePath = "train.phases[" + I(p) + "]";
            for (var j = 0; j < phase.Unfreeze.Count; j++)
            {
                var path = ItemPath(phasePath + ".unfreeze", j);
                var selected = SelectWord(phase.Unfreeze[j], phasePath + ".unfreeze", path, owners);
                if (selected.Count > 0 && !selected.Any(frozen.ContainsKey))
                {
                    _ctx.Report(DiagnosticDescriptors.AlreadyTrainable, path, phasePath + ".unfreeze", Text.UserText.Quote(phase.Unfreeze[j]));
                }

                foreach (var name in selected)
                {
                    frozen.Remove(name);
                }
            }

            for (var j = 0; j < phase.Freeze.Count; j++)
            {
                foreach (var name in SelectWord(phase.Freeze[j], phasePath + ".freeze", ItemPath(phasePath + ".freeze", j), owners))
                {
                    if (!frozen.ContainsKey(name))
                    {
                        frozen[name] = BatchNormPolicy.Eval;
                    }
                }
            }

            foreach (var group in phase.LrGroups)
            {
                SelectWord(group.Pattern, phasePath + ".lr", Yaml.NodePaths.Child(phasePath + ".lr", group.Pattern), owners, atKey: true);
            }

            if (!freezeBroken && owners.All(frozen.ContainsKey) && frozen.ContainsKey(HeadUnit))
            {
                _ctx.Report(DiagnosticDescriptors.NothingTrainable, _ctx.Locator.Has(phasePath) ? phasePath : "train", "train.phases[" + I(p) + "] ('" + phase.Name + "')");
            }

            states.Add(new PhaseFreezeState(
                phase.Name,
                EquatableArray.From(model.Modules.Where(m => frozen.ContainsKey(m.Name)).Select(m => new FrozenModule(m.Name, frozen[m.Name]))),
                frozen.ContainsKey(HeadUnit)));
        }

        return states;
    }

    private static string I(int i) => i.ToString(CultureInfo.InvariantCulture);

    private string ItemPath(string listPath, int index) =>
        _ctx.Locator.Has(listPath + "[" + I(index) + "]") ? listPath + "[" + I(index) + "]" : listPath;

    private ICollection<string> SelectRule(FreezeRuleSpec rule, string path, HashSet<string> owners)
    {
        switch (rule.Selector)
        {
            case FreezeSelector.All:
                return owners.Append(HeadUnit).ToArray();
            case FreezeSelector.Backbone:
                return owners.ToArray();
            case FreezeSelector.FirstStages:
                var stages = _ctx.Model!.Stages;
                if (rule.FirstStages > stages.Count)
                {
                    _ctx.Report(DiagnosticDescriptors.OutOfRange, path + ".first_stages", path + ".first_stages", "an integer <= " + I(stages.Count) + " (the stages of '" + _ctx.Model.Name + "')", rule.FirstStages);
                    return Array.Empty<string>();
                }

                // Stage members are module names at any depth (layer1 for ResNet, features.3 for MobileNet).
                var members = stages.Take(rule.FirstStages ?? 0).SelectMany(s => s).ToArray();
                return owners.Where(o => members.Any(m => o == m || o.StartsWith(m + ".", StringComparison.Ordinal))).ToArray();
            case FreezeSelector.Regex:
                var pattern = rule.Patterns.IsEmpty ? string.Empty : rule.Patterns[0];
                var selected = LayerPattern.SelectRegex(pattern, _ctx.KeptModules);
                if (selected is null)
                {
                    _ctx.Report(DiagnosticDescriptors.InvalidFormat, path + ".regex", path + ".regex", "a valid .NET regular expression", pattern);
                    return Array.Empty<string>();
                }

                if (selected.Count == 0)
                {
                    _ctx.ReportNoMatch(path + ".regex", pattern, path + ".regex");
                }

                return selected.Where(owners.Contains).ToArray();
            default:
                var result = new List<string>();
                for (var j = 0; j < rule.Patterns.Count; j++)
                {
                    result.AddRange(SelectWord(rule.Patterns[j], path + ".layers", ItemPath(path + ".layers", j), owners));
                }

                return result;
        }
    }

    private ICollection<string> SelectWord(string word, string what, string path, HashSet<string> owners, bool atKey = false)
    {
        switch (word)
        {
            case LayerPattern.Head:
                return new[] { HeadUnit };
            case "backbone":
                return owners.ToArray();
            case "all":
                return owners.Append(HeadUnit).ToArray();
        }

        var selected = _ctx.SelectGlob(word);
        if (selected.Count == 0)
        {
            _ctx.ReportNoMatch(what, word, path, atKey);
        }

        return selected.Where(owners.Contains).ToArray();
    }
}
