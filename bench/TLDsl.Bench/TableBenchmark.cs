using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using TLDsl.Runtime.Data;
using TLDsl.Runtime.Pipelines;

namespace TLDsl.Bench;

/// <summary>The table: test accuracy and CPU time against training-set size for logistic regression on pixels, the
/// network from scratch, the frozen pre-trained backbone + new head, and gradual unfreezing, in two scenarios.
/// Cells are costed before they run (<see cref="TableCost"/>); those that do not fit the budget are reported with
/// their estimate.</summary>
internal static class TableBenchmark
{
    private static readonly TableMethod[] Methods = [TableMethod.Pixels, TableMethod.Scratch, TableMethod.Frozen, TableMethod.Gradual];

    // Estimates are padded: the timed batches are the best of two, and full runs also write checkpoints and plots.
    private const double Safety = 1.25;

    public static int Run(string[] args)
    {
        bool quick = args.Contains("--quick");
        string data = BenchPipelines.Option(args, "--data") is { } d ? Path.GetFullPath(d) : "/usr/share/datasets/fashion-mnist";
        string which = BenchPipelines.Option(args, "--scenario") ?? "all";
        int?[] sizes = (BenchPipelines.Option(args, "--sizes") ?? (quick ? "5,20" : "10,50,200,1000,all")).Split(',')
            .Select(s => s.Trim() == "all" ? (int?)null : int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        double budget = BenchPipelines.Option(args, "--budget-min", quick ? 10 : 42) * 60.0;
        double cellCap = BenchPipelines.Option(args, "--cell-max-min", quick ? 5 : 12) * 60.0;
        int imageSize = BenchPipelines.Option(args, "--s2-size", quick ? 32 : 48);
        var methods = (BenchPipelines.Option(args, "--methods") ?? "pixels,scratch,frozen,gradual").Split(',')
            .Select(m => Enum.Parse<TableMethod>(m.Trim(), ignoreCase: true)).ToArray();
        double scale = quick ? 0 : 1; // quick: one epoch per phase
        string? output = BenchPipelines.Option(args, "--out");
        string scratch = BenchPipelines.Option(args, "--scratch") ?? Path.Combine(Path.GetTempPath(), "tldsl-table");
        Directory.CreateDirectory(scratch);
        var started = Stopwatch.StartNew();

        var scenarios = new List<(TableScenario Scenario, string? Missing)>();
        if (which is "s1" or "all")
        {
            scenarios.Add(SeedScenario(data, scratch, quick, args.Contains("--plan-only")));
        }
        if (which is "s2" or "all")
        {
            scenarios.Add((TableScenarios.ImageNet(imageSize, quick ? 20 : 200), null));
        }
        if (scenarios.Count == 0)
        {
            Console.Error.WriteLine($"--scenario must be s1, s2 or all, not '{which}'");
            return 2;
        }

        var plans = scenarios.Select(s => s.Missing is null ? Plan(s.Scenario, data, scratch, sizes, methods, scale, quick) : null).ToList();
        Select(plans.Where(p => p is not null).SelectMany(p => p!.Cells).ToList(), budget - started.Elapsed.TotalSeconds, cellCap);
        foreach (var plan in plans.Where(p => p is not null))
        {
            Console.WriteLine($"{plan!.Scenario.Key} plan (estimated wall seconds; - = not run): " + string.Join(", ",
                plan.Cells.Select(c => $"{c.Method} {Size(c.PerClass)} {(c.Selected ? "" : "-")}{c.Estimate:F0}")));
            Console.WriteLine($"  to run: {plan.Cells.Where(c => c.Selected).Sum(c => c.Estimate) / 60:F1} min; elapsed so far {started.Elapsed.TotalMinutes:F1} min");
        }
        if (args.Contains("--plan-only"))
        {
            return 0;
        }
        foreach (var plan in plans.Where(p => p is not null))
        {
            Execute(plan!, scratch, started, budget);
        }

        var md = new List<string>
        {
            "# Transfer learning on CPU: accuracy and cost against training-set size",
            "",
            $"- Date: {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC; total wall time {started.Elapsed.TotalMinutes:F1} min (budget {budget / 60:F0} min).",
            $"- Machine: {Environment.ProcessorCount} cores, {CpuModel()}.",
            $"- Command: `{BenchPipelines.Option(args, "--command") ?? "TLDsl.Bench table " + string.Join(' ', args)}`",
            "- Cells: test accuracy (CPU time, wall time). CPU time is this process's `TotalProcessorTime` delta over the cell",
            "  (all threads: libtorch's and .NET's), so it exceeds wall time when both cores work. Each cell loads its own data.",
            "- Sizes are training images per class, drawn (seeded) from the training set minus a fixed validation set (per",
            "  scenario, below); every method of a size trains on the same images, and each size's images include the smaller sizes'.",
            "  The validation set picks the best epoch (no early stopping; fixed epochs, more for fewer images).",
            "",
        };
        for (int i = 0; i < scenarios.Count; i++)
        {
            md.AddRange(Markdown(scenarios[i].Scenario, plans[i], scenarios[i].Missing, sizes));
        }
        string text = string.Join('\n', md) + "\n";
        Console.WriteLine();
        Console.Write(text);
        if (output is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
            File.WriteAllText(output, text);
            Console.WriteLine($"written to {output}");
        }
        return 0;
    }

    /// <summary>S1 over the example's committed weights, or over weights pre-trained here once (cached in the scratch
    /// folder); the reason when <c>small_cnn</c> is not in the model zoo yet.</summary>
    private static (TableScenario, string?) SeedScenario(string data, string scratch, bool quick, bool planOnly)
    {
        if (!Runtime.Models.ModelZoo.TryGet(TableScenarios.SmallCnn, out _))
        {
            return (TableScenarios.Seed("", "weights not prepared"), $"not run: `{TableScenarios.SmallCnn}` is not in the model zoo of this build.");
        }
        if (TableScenarios.ExampleWeights() is { } committed)
        {
            string relative = Path.GetRelativePath(BenchPipelines.RepoRoot, committed).Replace('\\', '/');
            return (TableScenarios.Seed(committed, $"weights `{relative}` (the example's, pre-trained on classes 0-4)"), null);
        }
        // Without committed weights: the example's own pre-training pipeline, else a stand-in for it (quick and
        // --plan-only: one epoch on a few images per class, enough to time the transfer pipelines with).
        bool small = quick || planOnly;
        int? limit = small ? (quick ? 200 : 50) : null;
        string? example = small ? null : TableScenarios.ExamplePretraining();
        string pipeline;
        try
        {
            // Also checks what S1 needs of the language: small_cnn in the catalogue, idx.classes.
            pipeline = example ?? BenchPipelines.Write(scratch, "SeedPretraining", data,
                TableScenarios.SeedPretraining(small ? 1 : 3) with { ExtraData = limit is int n ? $"  limit_per_class: {n}" : "" });
            _ = PipelineFile.Load(pipeline);
        }
        catch (Exception e) when (e is PipelineException or InvalidOperationException)
        {
            return (TableScenarios.Seed("", "weights not prepared"), $"not run: this build cannot read S1's pipelines ({e.Message.Split('\n')[0]}).");
        }
        if (planOnly && TableScenarios.ExamplePretraining() is { } full)
        {
            int fullEpochs = PipelineInterpreter.TrainingPlan(PipelineFile.Load(full).Spec).Phases.Sum(p => p.Epochs);
            var cost = TableCost.Calibrate(full, Enumerable.Range(0, 128).ToArray());
            Console.WriteLine($"pre-training with {full} ({fullEpochs} epochs, 30,000 images) would take about {Safety * cost.Estimate([fullEpochs], 30_000, 0, 5_000):F0} s");
        }
        string cached = Path.Combine(scratch, example is null ? $"small_cnn-classes0-4-{limit?.ToString(CultureInfo.InvariantCulture) ?? "all"}.safetensors" : "small_cnn-classes0-4-example.safetensors");
        if (!File.Exists(cached))
        {
            Console.WriteLine($"pre-training {TableScenarios.SmallCnn} on classes 0-4 with {pipeline} into {cached}");
            var result = TableRun.Measure(() => TableRun.Pretrain(pipeline, cached, Path.Combine(scratch, "runs")));
            Console.WriteLine($"  accuracy {result.Accuracy:P1}, {result.CpuSeconds:F0} s CPU, {result.WallSeconds:F0} s wall (before the table, within its budget)");
        }
        string how = example is not null
            ? $"pre-trained by this harness with `{TableScenarios.ExampleFolder}/pipelines/pretrain.tl.yaml` on classes 0-4 (the example's weights are not committed; cached in the scratch folder)"
            : $"pre-trained by this harness on {(limit is int k ? $"{k} images per class" : "all images")} of classes 0-4 ({(small ? 1 : 3)} epochs{(small ? "; a smoke-test stand-in" : "")})";
        return (TableScenarios.Seed(cached, how), null);
    }

    private sealed record Cell(TableMethod Method, int? PerClass, int Images, string? Pipeline, double Estimate, int[] PhaseEpochs)
    {
        public bool Selected { get; set; } = true;

        public bool Requested { get; init; } = true;

        public CellResult? Result { get; set; }

        public string? Failure { get; set; }
    }

    private sealed record ScenarioPlan(TableScenario Scenario, IImageSource Train, IImageSource Test, int[] Valid, int[] Pool, int[] TestIndices, List<Cell> Cells);

    /// <summary>Writes every cell's pipeline, times the parts of each method on this machine and estimates each cell.</summary>
    private static ScenarioPlan Plan(TableScenario scenario, string data, string scratch, int?[] sizes, TableMethod[] methods, double scale, bool quick)
    {
        string folder = Path.Combine(scratch, scenario.Key);
        int validPerClass = quick ? 10 : scenario.ValidPerClass;
        string Pipeline(TableMethod m, int? perClass, int images) =>
            BenchPipelines.Write(folder, $"{scenario.Key}_{m}_{(perClass is int n ? n.ToString(CultureInfo.InvariantCulture) : "all")}".ToLowerInvariant(),
                data, scenario.Pipeline(m, images, scale));
        string probe = Pipeline(TableMethod.Frozen, 0, 1);
        var load = Stopwatch.StartNew();
        var (train, test) = TableRun.Sources(probe);
        double loadSeconds = load.Elapsed.TotalSeconds; // every cell loads its data again
        var (valid, pool, testIndices) = TableRun.Splits(train, test, validPerClass, quick ? 20 : scenario.TestPerClass);
        Console.WriteLine($"{scenario.Key}: {train.Labels.Count} classes, pool {pool.Length}, valid {valid.Length}, test {testIndices.Length}, data loaded in {loadSeconds:F1} s; timing each method's parts");
        var costs = new Dictionary<TableMethod, TableCost>();
        var cells = new List<Cell>();
        foreach (var method in Methods)
        {
            foreach (var perClass in sizes)
            {
                int images = TableRun.TrainingSet(train, pool, perClass).Length;
                if (!methods.Contains(method))
                {
                    cells.Add(new Cell(method, perClass, images, null, 0, []) { Selected = false, Requested = false });
                    continue;
                }
                if (method == TableMethod.Pixels)
                {
                    cells.Add(new Cell(method, perClass, images, null, loadSeconds + (0.001 * images), [])); // ~1 ms per image: decoding and 300 full-batch steps
                    continue;
                }
                string path = Pipeline(method, perClass, images);
                if (!costs.TryGetValue(method, out var cost))
                {
                    costs[method] = cost = TableCost.Calibrate(path, pool);
                    Console.WriteLine($"  {method,-8} build {cost.Build:F1} s, checkpoint {cost.Checkpoint:F2} s, per image: preprocess {Ms(cost.Preprocess)}, forward {Ms(cost.Forward)}; phases " +
                        string.Join("; ", cost.Phases.Select(p => p.Cached ? $"cached prefix {Ms(p.Prefix)}, step {Ms(p.Step)}, eval {Ms(p.Eval)}" : $"step {Ms(p.Step)}")));
                }
                var phases = PipelineInterpreter.TrainingPlan(PipelineFile.Load(path).Spec).Phases.Select(p => p.Epochs).ToArray();
                cells.Add(new Cell(method, perClass, images, path, loadSeconds + (Safety * cost.Estimate(phases, images, valid.Length, testIndices.Length)), phases));
            }
        }
        return new ScenarioPlan(scenario, train, test, valid, pool, testIndices, cells);
    }

    private static string Ms(double seconds) => $"{seconds * 1000:F2} ms";

    /// <summary>Leaves out every cell estimated above <paramref name="cellCap"/>, then, until the rest fits the budget,
    /// the cells of the largest sizes first (the most expensive of a size first): the table is about small training sets.</summary>
    private static void Select(List<Cell> cells, double budget, double cellCap)
    {
        foreach (var cell in cells.Where(c => c.Estimate > cellCap))
        {
            cell.Selected = false;
        }
        foreach (var cell in cells.Where(c => c.Selected).OrderByDescending(c => c.PerClass ?? int.MaxValue).ThenByDescending(c => c.Estimate).ToList())
        {
            if (cells.Where(c => c.Selected).Sum(c => c.Estimate) <= budget)
            {
                break;
            }
            cell.Selected = false;
        }
    }

    private static void Execute(ScenarioPlan plan, string scratch, Stopwatch started, double budget)
    {
        // Sizes ascending, then methods: a budget overrun shows in the largest sizes.
        foreach (var cell in plan.Cells.Where(c => c.Selected).OrderBy(c => c.Images).ThenBy(c => c.Method))
        {
            double left = budget - started.Elapsed.TotalSeconds;
            if (cell.Estimate > left)
            {
                cell.Selected = false;
                Console.WriteLine($"{plan.Scenario.Key} {cell.Method} {Size(cell.PerClass)}: skipped, estimate {cell.Estimate:F0} s > {left:F0} s left");
                continue;
            }
            int[] trainIndices = TableRun.TrainingSet(plan.Train, plan.Pool, cell.PerClass);
            Console.WriteLine($"{plan.Scenario.Key} {cell.Method} {Size(cell.PerClass)} ({trainIndices.Length} images, estimate {cell.Estimate:F0} s) ...");
            try
            {
                cell.Result = cell.Method == TableMethod.Pixels
                    ? TableRun.Measure(() => (PixelLogisticRegression.Accuracy(plan.Train, trainIndices, plan.Test, plan.TestIndices), 0))
                    : TableRun.Measure(() => TableRun.Pipeline(cell.Pipeline!, new TableIndices(trainIndices, plan.Valid, plan.TestIndices), Path.Combine(scratch, "runs")));
                Console.WriteLine($"  test accuracy {cell.Result.Accuracy * 100:F1}%, {cell.Result.CpuSeconds:F1} s CPU, {cell.Result.WallSeconds:F1} s wall, {cell.Result.Epochs} epochs");
            }
            catch (Exception e) when (e is DataException or PipelineException or InvalidOperationException or IOException)
            {
                cell.Failure = e.Message;
                Console.WriteLine($"  failed: {e.Message}");
            }
        }
    }

    private static string Size(int? perClass) => perClass is int n ? $"{n}/class" : "all";

    private static IEnumerable<string> Markdown(TableScenario scenario, ScenarioPlan? plan, string? missing, int?[] sizes)
    {
        yield return $"## {scenario.Title}";
        yield return "";
        foreach (var note in scenario.Notes)
        {
            yield return "- " + note;
        }
        if (plan is null)
        {
            yield return "";
            yield return missing ?? "not run.";
            yield return "";
            yield break;
        }
        yield return $"- Validation: {plan.Valid.Length:N0} images ({plan.Valid.Length / plan.Train.Labels.Count} per class); training pool: {plan.Pool.Length:N0} images (the `all` column).";
        string Epochs(TableMethod m) => $"({"abcd"[(int)m]}) " + string.Join(", ", sizes.Select(size =>
            plan.Cells.First(c => c.Method == m && c.PerClass == size).PhaseEpochs is { Length: > 0 } e ? string.Join("+", e) : "-"));
        yield return "- Epochs per phase, by size: " + string.Join("; ", Methods.Skip(1).Select(Epochs)) +
            " (gradual: head, then the last stage" + (plan.Cells.Any(c => c.PhaseEpochs.Length > 2) ? ", then the last two stages)." : ").");
        yield return "";
        yield return "| method | " + string.Join(" | ", sizes.Select(s => s is int n ? $"{n}/class" : $"all ({plan.Pool.Length:N0})")) + " |";
        yield return "|---|" + string.Concat(sizes.Select(_ => "---|"));
        foreach (var method in Methods)
        {
            var row = sizes.Select(s => plan.Cells.First(c => c.Method == method && c.PerClass == s)).Select(CellText);
            yield return $"| {Row(method)} | " + string.Join(" | ", row) + " |";
        }
        yield return "";
        yield return TableInterpretation.Sentence(plan.Cells.Select(c => (c.Method, c.PerClass, c.Result?.Accuracy, c.Result?.CpuSeconds)).ToList(), sizes);
        yield return "";
    }

    private static string CellText(Cell c) =>
        !c.Requested ? "not requested"
        : c.Result is { } r ? $"{r.Accuracy * 100:F1}% ({r.CpuSeconds:F0} s cpu, {r.WallSeconds:F0} s wall)"
        : c.Failure is not null ? $"failed: {c.Failure.Replace('|', '/').Split('\n')[0]}"
        : $"not run (est. {Math.Max(1, Math.Round(c.Estimate / 60)):F0} min wall)";

    public static string Row(TableMethod m) => m switch
    {
        TableMethod.Pixels => "(a) logistic regression on raw pixels",
        TableMethod.Scratch => "(b) network from scratch",
        TableMethod.Frozen => "(c) frozen pre-trained backbone + new head",
        _ => "(d) gradual unfreezing",
    };

    private static string CpuModel()
    {
        try
        {
            return File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        }
        catch (IOException)
        {
            return "unknown CPU";
        }
    }
}
