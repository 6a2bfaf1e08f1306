using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using TLDsl.Runtime.Data;
using TLDsl.Runtime.Pipelines;
using TLDsl.Runtime.Tests.Data;
using TLDsl.Spec.Diagnostics;
using TLDsl.Spec.Parsing;
using Xunit.Abstractions;

namespace TLDsl.Runtime.Tests.Pipelines;

/// <summary>
/// Validation is the single gate: seeded mutations put hostile values (overflowing, denormal, NaN, huge, empty, control
/// characters, very long names) into every value of a pipeline that uses nearly every key. Every rejection must be a
/// located diagnostic, and every accepted mutant must train a step on tiny data — the only failure allowed at run time
/// is data that does not match (a mutated data path or label list), never an error that validation could have reported.
/// </summary>
public sealed class HostileValueFuzzTests(ITestOutputHelper output) : IDisposable
{
    private const int Mutants = 10_000;
    private const int TrainedSample = 80;

    // Every value below is a scalar slot the mutator may replace; labels are explicit so class_weights can be checked.
    private const string Template = """
        version: 1
        name: Fuzzed
        description: hostile values
        base: { model: small_cnn, weights: none, drop: classifier }
        input: { size: [16, 16], channels: 1, normalize: { mean: [0.5], std: [0.25] } }
        labels: [cat, dog]
        head: [dropout: 0.1, linear: 8, batchnorm, relu, linear: labels]
        freeze: [{ first_stages: 1, batchnorm: eval }]
        data:
          train: { folder: data }
          valid: { split: 0.25, seed: 1 }
          augment:
            - random_resized_crop: { scale: [0.5, 1], ratio: [0.75, 1.3333] }
            - flip: { p: 0.5, vertical: false }
            - rotation: { degrees: 10 }
            - color_jitter: { brightness: 0.1, contrast: 0.1, saturation: 0.1, hue: 0.05 }
          limit_per_class: 6
          limit_seed: 3
        train:
          seed: 5
          batch: 4
          accumulate: 1
          optimizer: { adamw: { lr: 0.001, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0.01 } }
          loss: { cross_entropy: { label_smoothing: 0.1, class_weights: [1, 2] } }
          clip_grad_norm: 1.0
          phases:
            - { name: warm, epochs: 1, schedule: { cosine: { warmup_steps: 1, min_lr: 1e-5 } } }
            - { name: all, epochs: 1, unfreeze: [conv1], lr: 0.0005, schedule: { one_cycle: { max_lr: 0.001, pct_start: 0.3 } } }
          early_stopping: { metric: valid.accuracy, patience: 2, min_delta: 0.0 }
          checkpoint: { keep: last, every: 1 }
          runs: runs
        """;

    private static readonly string[] HostileNumbers =
    [
        "0", "-0", "-1", "1", "2", "3", "0.5", "0.999999", "1.0000001", "1e-8", "1e-45", "1e-320", "1e38", "1e39", "-1e39",
        "1e308", "2147483647", "2147483648", "1073741824", "4294967297", "9223372036854775807", "99999999999999999999",
        "65536", "100000", ".nan", ".inf", "-.inf",
    ];

    private static readonly string[] HostileStrings =
    [
        new string('n', 300), new string('x', 5000), "\"a\\0b\"", "\"a\\nb\"", "\"\\t\"", "''", "\"con:*?<>|\"", "é_ünï",
        "\"a/b\"", "data", "labels", "none", "imagenet", "true", "null", "~", "\"\\u0007bell\"", "\"\\x1b[31mred\"",
    ];

    // A scalar value: after "key: ", "[", ", " or "- ", and followed by a separator (so keys are never picked).
    private static readonly Regex Slot = new(@"(?<=(?::\s|\[|,\s|-\s))(?<v>[A-Za-z0-9_.+\-]+)(?=\s*(?:[,\]\}]|$))", RegexOptions.Multiline);
    private static readonly Regex KeyBefore = new(@"([A-Za-z_]+):[^:]*$");

    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private sealed record Mutant(string Text, IReadOnlyList<string> Keys);

    [Fact]
    public void Every_rejection_is_located_and_every_accepted_mutant_trains_a_step()
    {
        Assert.False(Parse(Template).HasErrors, Format(Parse(Template)));
        var random = new Random(20261206);
        var slots = Slot.Matches(Template).ToArray();
        Assert.True(slots.Length > 60, "the template should offer many value slots: " + slots.Length);

        var accepted = new List<Mutant>();
        var seen = new HashSet<string>(StringComparer.Ordinal) { Template };
        int rejected = 0;
        var ids = new SortedSet<string>(StringComparer.Ordinal);
        var problems = new List<string>();
        for (int i = 0; i < Mutants; i++)
        {
            var mutant = Mutate(slots, random);
            PipelineParseResult result;
            try
            {
                result = Parse(mutant.Text);
            }
            catch (Exception e)
            {
                throw new InvalidOperationException($"mutant {i} made the parser throw; input:\n{mutant.Text}", e);
            }

            if (result.HasErrors)
            {
                rejected++;
                foreach (var d in result.Diagnostics.Where(d => d.IsError))
                {
                    ids.Add(d.Id);
                    if (d.Span is not { StartLine: >= 1, StartColumn: >= 1 })
                    {
                        problems.Add($"unlocated: {d.Format()} (changed: {Changes(mutant.Text)})");
                    }
                    if (d.Message.Any(char.IsControl) || d.Message.Length > 1000)
                    {
                        problems.Add($"{d.Id} quotes control characters or is {d.Message.Length} characters long: {d.Message[..Math.Min(200, d.Message.Length)]}");
                    }
                }
            }
            else if (seen.Add(mutant.Text))
            {
                accepted.Add(mutant);
            }
        }

        output.WriteLine($"{Mutants} mutants: {rejected} rejected ({ids.Count} diagnostic ids: {string.Join(" ", ids)}), {accepted.Count} distinct accepted");
        Assert.True(problems.Count == 0, $"{problems.Count} bad diagnostics, e.g.:\n" + string.Join("\n", problems.Distinct().Take(8)));
        Assert.True(rejected > Mutants / 3, "hostile values should mostly be rejected: " + rejected);
        Assert.True(accepted.Count >= TrainedSample, "too few accepted mutants to sample: " + accepted.Count);

        MakeData();
        var sample = accepted.OrderBy(_ => random.Next()).Take(TrainedSample).ToList();
        var failures = new List<string>();
        int missingData = 0;
        for (int i = 0; i < sample.Count; i++)
        {
            switch (Train(sample[i], i))
            {
                case null:
                    break;
                case "data mismatch":
                    missingData++;
                    break;
                case var failure:
                    failures.Add($"accepted mutant failed to train: {failure}\n  changed: {Changes(sample[i].Text)}");
                    break;
            }
        }

        output.WriteLine($"{sample.Count} accepted mutants trained: {sample.Count - missingData - failures.Count} took a step, {missingData} named data that does not match their mutated labels or folder, {failures.Count} failed");
        Assert.True(failures.Count == 0, string.Join("\n\n", failures.Take(8)));
    }

    /// <summary>The mutant's lines that differ from the template, for a readable failure.</summary>
    private static string Changes(string mutant)
    {
        var original = Template.Split('\n');
        return string.Join(" | ", mutant.Split('\n').Where((line, i) => i >= original.Length || line != original[i]).Select(l => l.Trim()));
    }

    private static PipelineParseResult Parse(string text) => PipelineParser.Parse(text, "fuzz.tl.yaml", new PipelineParseOptions { ReadFile = _ => null });

    private static string Format(PipelineParseResult result) => string.Join("\n", result.Diagnostics.Select(d => d.Format()));

    private static Mutant Mutate(Match[] slots, Random random)
    {
        var chosen = Enumerable.Range(0, 1 + random.Next(3)).Select(_ => slots[random.Next(slots.Length)]).Distinct().OrderByDescending(m => m.Index).ToList();
        var text = new StringBuilder(Template);
        var keys = new List<string>();
        foreach (var slot in chosen)
        {
            var pool = random.Next(4) == 0 ? HostileStrings : HostileNumbers;
            text.Remove(slot.Index, slot.Length).Insert(slot.Index, pool[random.Next(pool.Length)]);
            var lineStart = Template.LastIndexOf('\n', slot.Index) + 1;
            var key = KeyBefore.Match(Template[lineStart..slot.Index]);
            keys.Add(key.Success ? key.Groups[1].Value : Template[lineStart..slot.Index].Trim());
        }

        return new Mutant(text.ToString(), keys);
    }

    private void MakeData()
    {
        foreach (var (label, shade) in new[] { ("cat", (byte)30), ("dog", (byte)220) })
        {
            for (int i = 0; i < 6; i++)
            {
                FolderImageSourceTests.Png(_dir.File("data", label, $"{i}.png"), (byte)(shade + (i * 4)), size: 12, channels: 1);
            }
        }
    }

    /// <summary>Null when the mutant trained a step; "data mismatch" when its mutated labels or data folder do not
    /// match the data on disk (which only run time can see); otherwise what went wrong.</summary>
    private string? Train(Mutant mutant, int index)
    {
        string path = _dir.File($"fuzz{index}.tl.yaml");
        File.WriteAllText(path, mutant.Text);
        try
        {
            using var session = TrainingSession.Start(path);
            var result = session.Train(stopAfterSteps: 1);
            return result.Training.State.Step >= 1 ? null : $"finished after {result.Training.State.Step} steps ({result.Training.State.StopReason})";
        }
        catch (Exception e) when (mutant.Keys.Any(k => k is "folder" or "labels") && e is DataException or DirectoryNotFoundException)
        {
            return "data mismatch";
        }
        catch (Exception e)
        {
            return $"{e.GetType().Name}: {e.Message}";
        }
    }
}
