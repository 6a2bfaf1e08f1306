using System;
using System.Collections.Generic;
using System.Linq;

namespace TLDsl.Spec.Registries;

/// <summary>One member of a registry: the enum value, its pipeline word and what it means.</summary>
/// <typeparam name="TKind">The registry's enum.</typeparam>
/// <param name="Kind">The enum value every project uses.</param>
/// <param name="Key">The word a pipeline writes (YAML and attribute arguments).</param>
/// <param name="Description">One line for the schema and the docs.</param>
public sealed record RegistryEntry<TKind>(TKind Kind, string Key, string Description)
    where TKind : struct, Enum;

/// <summary>
/// The members of one concept, in the order the docs list them. Every enum value has exactly one entry (checked when the
/// registry is built), so code that maps a value through the registry cannot fall through to a default.
/// </summary>
/// <typeparam name="TKind">The registry's enum.</typeparam>
public sealed class Registry<TKind>
    where TKind : struct, Enum
{
    internal Registry(params RegistryEntry<TKind>[] entries)
    {
        All = entries;
        var missing = ((TKind[])Enum.GetValues(typeof(TKind))).Where(k => !entries.Any(e => e.Kind.Equals(k))).ToArray();
        if (missing.Length > 0 || entries.Select(e => e.Kind).Distinct().Count() != entries.Length)
        {
            throw new InvalidOperationException($"the {typeof(TKind).Name} registry must list every member once; missing: {string.Join(", ", missing)}.");
        }
    }

    /// <summary>Every member, in documentation order.</summary>
    public IReadOnlyList<RegistryEntry<TKind>> All { get; }

    /// <summary>The pipeline words, in documentation order.</summary>
    public string[] Keys => All.Select(e => e.Key).ToArray();

    /// <summary>The entry of <paramref name="kind"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a member of the enum.</exception>
    public RegistryEntry<TKind> Of(TKind kind) =>
        All.FirstOrDefault(e => e.Kind.Equals(kind)) ?? throw new ArgumentOutOfRangeException(nameof(kind), kind, $"not a {typeof(TKind).Name}.");

    /// <summary>The member a pipeline word names, or null.</summary>
    public TKind? Find(string? key) => All.FirstOrDefault(e => e.Key == key)?.Kind;

    /// <summary>The member a pipeline word names.</summary>
    /// <exception cref="ArgumentOutOfRangeException">No member has that word (the schema check reports it first).</exception>
    public TKind Parse(string key) =>
        All.FirstOrDefault(e => e.Key == key)?.Kind
        ?? throw new ArgumentOutOfRangeException(nameof(key), key, $"not a {typeof(TKind).Name}; expected one of {string.Join(", ", Keys)}.");
}
