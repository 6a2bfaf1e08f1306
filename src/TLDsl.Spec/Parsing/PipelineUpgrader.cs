using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using TLDsl.Spec.Diagnostics;
using TLDsl.Spec.Yaml;

namespace TLDsl.Spec.Parsing;

/// <summary>
/// The upgrade path of the language. When version 2 changes a key, add a step from 1 that rewrites a version-1 tree
/// into a version-2 tree; files keep working and get an info diagnostic asking to update them. Versions newer than
/// <see cref="CurrentVersion"/> are rejected (TLD0010) before any key is checked, since their keys are unknown here.
/// </summary>
public static class PipelineUpgrader
{
    /// <summary>The version this library writes and validates.</summary>
    public const int CurrentVersion = 1;

    /// <summary>The built-in steps; empty while only version 1 exists.</summary>
    internal static IReadOnlyList<UpgradeStep> BuiltInSteps { get; } = Array.Empty<UpgradeStep>();

    /// <summary>
    /// Reads <c>version</c>, applies steps up to <see cref="CurrentVersion"/>, and rewrites the version value.
    /// Returns false when the version is unsupported (reported); a missing or malformed version is left to the checker.
    /// </summary>
    internal static bool Upgrade(YMapping root, IReadOnlyList<UpgradeStep> steps, DiagnosticBag bag)
    {
        var entry = root.Find("version");
        if (entry?.Value is not YScalar scalar || !scalar.TryGetInteger(out var version))
        {
            return true;
        }

        var minimum = steps.Count == 0 ? CurrentVersion : Math.Min(CurrentVersion, steps.Min(s => s.FromVersion));
        if (version > CurrentVersion || version < minimum)
        {
            bag.Report(DiagnosticDescriptors.UnsupportedVersion, scalar.Location, scalar.Value, minimum, CurrentVersion);
            return false;
        }

        var from = version;
        while (version < CurrentVersion)
        {
            var step = steps.FirstOrDefault(s => s.FromVersion == version);
            if (step is null)
            {
                bag.Report(DiagnosticDescriptors.UnsupportedVersion, scalar.Location, scalar.Value, minimum, CurrentVersion);
                return false;
            }

            step.Apply(root);
            version++;
        }

        if (from != CurrentVersion)
        {
            entry.Value = new YScalar(CurrentVersion.ToString(CultureInfo.InvariantCulture), true, scalar.Location);
            bag.Report(DiagnosticDescriptors.VersionUpgraded, scalar.Location, from, CurrentVersion);
        }

        return true;
    }
}

/// <summary>Rewrites a tree of <see cref="FromVersion"/> in place into the next version's form.</summary>
internal sealed class UpgradeStep
{
    public UpgradeStep(int fromVersion, Action<YMapping> apply)
    {
        FromVersion = fromVersion;
        Apply = apply;
    }

    public int FromVersion { get; }

    public Action<YMapping> Apply { get; }
}
