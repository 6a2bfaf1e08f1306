using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;

namespace TLDsl.Generator.Tests;

/// <summary>
/// The generated sources of each pipeline in pipelines/ against committed baselines
/// (Snapshots/&lt;pipeline&gt;/&lt;hint&gt;.verified.cs). On a mismatch a .received.cs is written next to the baseline;
/// TLDSL_ACCEPT=1 overwrites the baselines.
/// </summary>
public sealed class SnapshotTests
{
    public static TheoryData<string> Pipelines()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(Path.Combine(GeneratorHarness.RepoRoot, "pipelines"), "*.tl.yaml").OrderBy(f => f, StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(file));
        }
        return data;
    }

    internal static (string HintName, string Text)[] Generate(string fileName)
    {
        string text = File.ReadAllText(Path.Combine(GeneratorHarness.RepoRoot, "pipelines", fileName));
        var (driver, output, diagnostics) = GeneratorHarness.Run(GeneratorHarness.Compilation(), new MemoryText("pipelines/" + fileName, text));
        Assert.Empty(diagnostics);
        var problems = GeneratorHarness.CompileProblems(output);
        Assert.True(problems.Count == 0, "generated code does not compile cleanly:\n" + string.Join("\n", problems));
        return GeneratorHarness.Sources(driver).ToArray();
    }

    [Theory]
    [MemberData(nameof(Pipelines))]
    public void Generated_sources_match_the_verified_baselines(string fileName)
    {
        var sources = Generate(fileName);
        string folder = Path.Combine(GeneratorHarness.RepoRoot, "tests", "TLDsl.Generator.Tests", "Snapshots", fileName.Replace(".tl.yaml", "", StringComparison.Ordinal));
        Directory.CreateDirectory(folder);
        bool accept = Environment.GetEnvironmentVariable("TLDSL_ACCEPT") == "1";
        var mismatches = new System.Collections.Generic.List<string>();
        foreach (var (hint, text) in sources)
        {
            string verified = Path.Combine(folder, hint.Replace(".g.cs", ".verified.cs", StringComparison.Ordinal));
            string received = Path.Combine(folder, hint.Replace(".g.cs", ".received.cs", StringComparison.Ordinal));
            string? expected = File.Exists(verified) ? File.ReadAllText(verified).Replace("\r\n", "\n", StringComparison.Ordinal) : null;
            if (expected == text)
            {
                File.Delete(received);
                continue;
            }
            if (accept)
            {
                File.WriteAllText(verified, text);
                continue;
            }
            File.WriteAllText(received, text);
            mismatches.Add(received);
        }
        var stale = Directory.GetFiles(folder, "*.verified.cs")
            .Select(Path.GetFileName)
            .Except(sources.Select(s => s.HintName.Replace(".g.cs", ".verified.cs", StringComparison.Ordinal)))
            .ToList();
        Assert.True(mismatches.Count == 0, "generated sources differ from the baselines; see " + string.Join(", ", mismatches) + " (TLDSL_ACCEPT=1 accepts)");
        Assert.True(accept || stale.Count == 0, "baselines without a generated source: " + string.Join(", ", stale));
    }

    [Theory]
    [MemberData(nameof(Pipelines))]
    public void Output_is_identical_under_a_hostile_culture(string fileName)
    {
        var invariant = Generate(fileName);
        var hostile = (CultureInfo)CultureInfo.GetCultureInfo("fa-IR").Clone();
        hostile.NumberFormat.NegativeSign = "\u2212";
        hostile.NumberFormat.NumberDecimalSeparator = ",";
        hostile.NumberFormat.NumberGroupSeparator = ".";
        var (culture, ui) = (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture);
        try
        {
            CultureInfo.CurrentCulture = hostile;
            CultureInfo.CurrentUICulture = hostile;
            var again = Generate(fileName);
            Assert.Equal(invariant, again);
        }
        finally
        {
            CultureInfo.CurrentCulture = culture;
            CultureInfo.CurrentUICulture = ui;
        }
    }

    [Fact]
    public void Generation_is_deterministic()
    {
        foreach (var file in Directory.GetFiles(Path.Combine(GeneratorHarness.RepoRoot, "pipelines"), "*.tl.yaml").Select(Path.GetFileName))
        {
            Assert.Equal(Generate(file!), Generate(file!));
        }
    }
}
