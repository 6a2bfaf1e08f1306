using System;
using System.Collections.Generic;
using System.Linq;
using TLDsl.Runtime.Surgery;
using TLDsl.Spec.Catalogue;
using TLDsl.Spec.Model;
using TLDsl.Spec.Registries;
using TLDsl.Spec.Validation;

namespace TLDsl.Runtime.Pipelines;

/// <summary>Turns the spec's layer selections into runtime matchers, with TLDsl.Spec's own pattern semantics (the same
/// code the validator uses, so a pattern selects at run time exactly what it was checked against).</summary>
internal static class ModuleMatchers
{
    public static bool IsHead(string moduleName) =>
        moduleName == LayerPattern.Head || moduleName.StartsWith(LayerPattern.Head + ".", StringComparison.Ordinal);

    /// <summary>A module matcher for one glob; the word <c>head</c> selects the added layers.</summary>
    public static Func<string, bool> Glob(string pattern)
    {
        if (pattern == LayerPattern.Head)
        {
            return n => n == LayerPattern.Head;
        }
        var regex = LayerPattern.GlobToRegex(pattern);
        return n => regex.IsMatch(n);
    }

    /// <summary>Matches when any glob matches.</summary>
    public static Func<string, bool> AnyGlob(IEnumerable<string> patterns)
    {
        var matchers = patterns.Select(Glob).ToArray();
        return n => matchers.Any(m => m(n));
    }

    /// <summary>Matches a parameter name (<c>layer4.0.conv1.weight</c>) when the pattern selects its module or an ancestor.</summary>
    public static Func<string, bool> Parameter(string pattern)
    {
        var module = Glob(pattern);
        return parameter =>
        {
            string name = parameter;
            while (name.LastIndexOf('.') is int dot && dot > 0)
            {
                name = name[..dot];
                if (module(name))
                {
                    return true;
                }
            }
            return false;
        };
    }

    public static FreezeRule Freeze(FreezeRuleSpec rule, BaseModelInfo? catalogue)
    {
        var policy = rule.BatchNorm;
        string description = rule.Selector switch
        {
            FreezeSelector.Layers => "layers " + string.Join(", ", rule.Patterns),
            FreezeSelector.Regex => "regex " + string.Join(", ", rule.Patterns),
            FreezeSelector.FirstStages => $"first {rule.FirstStages} stages",
            FreezeSelector.Backbone => "backbone",
            _ => "all",
        };
        Func<string, bool> matches = rule.Selector switch
        {
            FreezeSelector.Layers => AnyGlob(rule.Patterns),
            FreezeSelector.Regex => Regex(rule.Patterns),
            FreezeSelector.FirstStages => FirstStages(rule.FirstStages ?? 0, catalogue),
            FreezeSelector.Backbone => n => !IsHead(n),
            _ => _ => true,
        };
        return new FreezeRule(description, matches, policy);
    }

    private static Func<string, bool> Regex(IEnumerable<string> patterns)
    {
        var regexes = patterns.Select(p => LayerPattern.TryCreateRegex(p)
            ?? throw new PipelineException($"invalid regex '{p}'")).ToArray();
        return n => regexes.Any(r => r.IsMatch(n));
    }

    private static Func<string, bool> FirstStages(int count, BaseModelInfo? catalogue)
    {
        if (catalogue is null)
        {
            throw new PipelineException("first_stages needs a catalogue model (its stages are listed there).");
        }
        var names = new HashSet<string>(catalogue.Stages.Take(count).SelectMany(s => s), StringComparer.Ordinal);
        return names.Contains;
    }
}
