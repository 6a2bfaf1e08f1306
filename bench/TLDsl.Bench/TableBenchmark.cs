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
/// network from scratch, the frozen pre-trained backbone + new head, gradual unfreezing and the <c>fine_tune</c> recipe
/// with augmentation, in two scenarios; the small sizes over several seeds (other images and initialisations), and an
/// ablation of the recipe's pieces at one size. Cells are costed before they run (<see cref="TableCost"/>); those over
/// the per-cell cap or beyond the budget are reported with their estimate.</summary>
internal static class TableBenchmark
{
    private static readonly TableMethod[] Methods = [TableMethod.Pixels, TableMethod.Scratch, TableMethod.Frozen, TableMethod.Gradual, TableMethod.FineTune];

    /// <summary>The ablation's rows, in the order they are shown; <see cref="TableAblation.Recipe"/> is method (e)'s cell.</summary>
    private static readonly TableAblation[] Ablations = [TableAblation.Plain, TableAblation.TrivialAugment, TableAblation.MixCut, TableAblation.Ema, TableAblation.Recipe, TableAblation.All];

    // Estimates are padded: the timed batches are the best of two, and full runs also write checkpoints and plots.
    private const double Safety = 1.25;

    public static int Run(string[] args)
    {
        bool quick = args.Contains("--quick");
        bool planOnly = args.Contains("--plan-only");
        string data = BenchPipelines.Option(args, "--data") is { } d ? Path.GetFullPath(d) : "/usr/share/datasets/fashion-mnist";
        string which = BenchPipelines.Option(args, "--scenario") ?? "all";
        int?[] sizes = Sizes(BenchPipelines.Option(args, "--sizes") ?? (quick ? "5,20" : "10,50,200,1000,all"));
        int?[] seedSizes = Sizes(BenchPipelines.Option(args, "--seed-sizes") ?? (quick ? "5" : "10,50"));
        int seeds = BenchPipelines.Option(args, "--seeds", 3);
        string ablationOption = BenchPipelines.Option(args, "--ablation-size") ?? (quick ? "20" : "200");
        int? ablationSize = ablationOption == "none" ? null : int.Parse(ablationOption, CultureInfo.InvariantCulture);
        double budget = BenchPipelines.Option(args, "--budget-min", quick ? 30 : 90) * 60.0;
        double cellCap = BenchPipelines.Option(args, "--cell-max-min", quick ? 5 : 10) * 60.0;
        int imageSize = BenchPipelines.Option(args, "--s2-size", quick ? 32 : 112);
        var methods = (BenchPipelines.Option(args, "--methods") ?? "pixels,scratch,frozen,gradual,finetune").Split(',')
            .Select(m => Enum.Parse<TableMethod>(m.Trim().Replace("_", "", StringComparison.Ordinal), ignoreCase: true)).ToArray();
        double scale = quick ? 0 : 1; // quick: one epoch per phase
        string? output = BenchPipelines.Option(args, "--out");
        string scratch = BenchPipelines.Option(args, "--scratch") ?? Path.Combine(Path.GetTempPath(), "tldsl-table");
        Directory.CreateDirectory(scratch);
        var started = Stopwatch.StartNew();
        var layout = new TableLayout(sizes, seedSizes, Math.Max(1, seeds), ablationSize, methods, scale, quick);

        var scenarios = new List<(TableScenario Scenario, string? Missing)>();
        if (which is "s1" or "all")
        {
            scenarios.Add(SeedScenario(data, scratch, quick, planOnly));
        }
        if (which is "s2" or "all")
        {
            // S2's test subset: 100 per class (1,000 images, a standard error under a point at 90%) keeps the whole
            // network's test passes (plain and flipped) of every cell within the budget.
            scenarios.Add((TableScenarios.ImageNet(imageSize, BenchPipelines.Option(args, "--s2-test-per-class", quick ? 20 : 100)), null));
        }
        if (scenarios.Count == 0)
        {
            Console.Error.WriteLine($"--scenario must be s1, s2 or all, not '{which}'");
            return 2;
        }

        var plans = scenarios.Select(s => s.Missing is null ? Plan(s.Scenario, data, scratch, layout) : null).ToList();
        var all = plans.Where(p => p is not null).SelectMany(p => p!.Cells).ToList();
        double calibration = started.Elapsed.TotalSeconds;
        Select(all, budget - calibration, cellCap);
        PrintPlan(plans, all, budget, cellCap, calibration);
        if (planOnly)
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
            $"- Date: {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC; total wall time {started.Elapsed.TotalMinutes:F1} min (budget {budget / 60:F0} min, at most {cellCap / 60:F0} min a cell).",
            $"- Machine: {Environment.ProcessorCount} cores, {CpuModel()}.",
            $"- Command: `{BenchPipelines.Option(args, "--command") ?? "TLDsl.Bench table " + string.Join(' ', args)}`",
            "- Cells: test accuracy (CPU time, wall time). CPU time is this process's `TotalProcessorTime` delta over the cell",
            "  (all threads: libtorch's and .NET's), so it exceeds wall time when both cores work. Each cell loads its own data.",
            "- Sizes are training images per class, drawn (seeded) from the training set minus a fixed validation set (per",
            "  scenario, below); every method of a size trains on the same images, and each size's images include the smaller sizes'.",
            $"  Sizes {string.Join(", ", seedSizes.Select(Size))}: {layout.Seeds} seeds, each drawing other images and initialising, shuffling and",
            "  augmenting differently (`train.seed` 42, 43, ...); cells show mean ± sample standard deviation and the mean CPU time.",
            "  The validation set picks the best epoch (ties: the lower validation loss; no early stopping; fixed epochs, more for fewer images).",
            "",
        };
        for (int i = 0; i < scenarios.Count; i++)
        {
            md.AddRange(Markdown(scenarios[i].Scenario, plans[i], scenarios[i].Missing, layout));
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

    private static int?[] Sizes(string list) => list.Split(',')
        .Select(s => s.Trim() == "all" ? (int?)null : int.Parse(s, CultureInfo.InvariantCulture)).ToArray();

    /// <summary>What the table holds: its sizes, the sizes run over several seeds, the ablation's size (null: none), the
    /// methods asked for and the epochs' scale.</summary>
    private sealed record TableLayout(int?[] Sizes, int?[] SeedSizes, int Seeds, int? AblationSize, TableMethod[] Methods, double Scale, bool Quick)
    {
        public int SeedsOf(int? perClass) => SeedSizes.Contains(perClass) ? Seeds : 1;
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

    /// <param name="Ablation">For <see cref="TableMethod.FineTune"/>: which pieces it trains with
    /// (<see cref="TableAblation.Recipe"/> in the main table).</param>
    /// <param name="Extra">An ablation row's own cell (not a cell of the main table).</param>
    private sealed record Cell(TableMethod Method, TableAblation Ablation, int? PerClass, int Seed, bool Extra, int Images, string? Pipeline, double Estimate, int[] PhaseEpochs)
    {
        public bool Selected { get; set; } = true;

        public bool Requested { get; init; } = true;

        public bool Capped { get; set; }

        public CellResult? Result { get; set; }

        public string? Failure { get; set; }

        public string Name => $"{Method}{(Extra ? "/" + Ablation : "")} {Size(PerClass)}{(Seed > 0 ? $" seed {Seed}" : "")}";
    }

    private sealed record ScenarioPlan(TableScenario Scenario, IImageSource Train, IImageSource Test, int[] Valid, int[] Pool, int[] TestIndices, List<Cell> Cells, TableLayout Layout)
    {
        /// <summary>The main table's cells of a method and size (one per seed).</summary>
        public List<Cell> Of(TableMethod method, int? perClass) => Cells.Where(c => !c.Extra && c.Method == method && c.PerClass == perClass).ToList();

        /// <summary>The cell of an ablation row: its own, or for <see cref="TableAblation.Recipe"/> method (e)'s seed 0.</summary>
        public Cell? Ablation(TableAblation row) => Cells.FirstOrDefault(c => c.Method == TableMethod.FineTune && c.Ablation == row &&
            c.PerClass == Layout.AblationSize && c.Seed == 0);
    }

    /// <summary>Writes every cell's pipeline, times the parts of each method on this machine and estimates each cell.</summary>
    private static ScenarioPlan Plan(TableScenario scenario, string data, string scratch, TableLayout layout)
    {
        string folder = Path.Combine(scratch, scenario.Key);
        int validPerClass = layout.Quick ? 10 : scenario.ValidPerClass;
        string Pipeline(TableCellSpec spec, int? perClass) =>
            BenchPipelines.Write(folder, $"{scenario.Key}_{spec.Method}{(spec.Method == TableMethod.FineTune ? "_" + spec.Ablation : "")}_{(perClass is int n ? n.ToString(CultureInfo.InvariantCulture) : "all")}_s{spec.Seed}".ToLowerInvariant(),
                data, scenario.Pipeline(spec));
        string probe = Pipeline(new TableCellSpec(TableMethod.Frozen, TableAblation.Recipe, 1, 0, 0), 0);
        var load = Stopwatch.StartNew();
        var (train, test) = TableRun.Sources(probe);
        double loadSeconds = load.Elapsed.TotalSeconds; // every cell loads its data again
        var (valid, pool, testIndices) = TableRun.Splits(train, test, validPerClass, layout.Quick ? 20 : scenario.TestPerClass);
        Console.WriteLine($"{scenario.Key}: {train.Labels.Count} classes, pool {pool.Length}, valid {valid.Length}, test {testIndices.Length}, data loaded in {loadSeconds:F1} s; timing each method's parts");
        // One calibration per method, and per weight averaging for (e) (its validation is not cached): the ablation's
        // augmentations change a step's cost little next to the network's.
        var costs = new Dictionary<(TableMethod, bool), TableCost>();
        var cells = new List<Cell>();
        Cell Make(TableMethod method, TableAblation ablation, int? perClass, int seed, bool extra)
        {
            int images = TableRun.TrainingSet(train, pool, perClass, seed).Length;
            if (!layout.Methods.Contains(method))
            {
                return new Cell(method, ablation, perClass, seed, extra, images, null, 0, []) { Selected = false, Requested = false };
            }
            if (method == TableMethod.Pixels)
            {
                return new Cell(method, ablation, perClass, seed, extra, images, null, loadSeconds + (0.001 * images), []); // ~1 ms per image: decoding and 300 full-batch steps
            }
            var spec = new TableCellSpec(method, ablation, images, layout.Scale, seed);
            string path = Pipeline(spec, perClass);
            bool ema = method == TableMethod.FineTune && ablation is TableAblation.Ema or TableAblation.All;
            if (!costs.TryGetValue((method, ema), out var cost))
            {
                costs[(method, ema)] = cost = TableCost.Calibrate(path, pool);
                Console.WriteLine($"  {method + (method == TableMethod.FineTune ? "/" + ablation : ""),-24} build {cost.Build:F1} s, checkpoint {cost.Checkpoint:F2} s, per image: preprocess {Ms(cost.Preprocess)}, forward {Ms(cost.Forward)}; phases " +
                    string.Join("; ", cost.Phases.Select(p => p.Cached ? $"cached prefix {Ms(p.Prefix)}, step {Ms(p.Step)}, eval {Ms(p.Eval)}" : $"step {Ms(p.Step)}")) +
                    (cost.Ema ? "; ema (validation uncached)" : "") + (cost.TestPasses > 1 ? $"; {cost.TestPasses} test passes" : ""));
            }
            var phases = PipelineInterpreter.TrainingPlan(PipelineFile.Load(path).Spec).Phases.Select(p => p.Epochs).ToArray();
            return new Cell(method, ablation, perClass, seed, extra, images, path, loadSeconds + (Safety * cost.Estimate(phases, images, valid.Length, testIndices.Length)), phases);
        }
        foreach (var method in Methods)
        {
            foreach (var perClass in layout.Sizes)
            {
                for (int seed = 0; seed < layout.SeedsOf(perClass); seed++)
                {
                    cells.Add(Make(method, TableAblation.Recipe, perClass, seed, extra: false));
                }
            }
        }
        // The ablation is S2's (the ImageNet features; S1's rows would cost little but say little at 28x28).
        if (scenario.Key == "s2" && layout.AblationSize is int size && layout.Methods.Contains(TableMethod.FineTune))
        {
            foreach (var row in Ablations.Where(r => r != TableAblation.Recipe || !layout.Sizes.Contains(size)))
            {
                cells.Add(Make(TableMethod.FineTune, row, size, 0, extra: true));
            }
        }
        return new ScenarioPlan(scenario, train, test, valid, pool, testIndices, cells, layout);
    }

    private static string Ms(double seconds) => $"{seconds * 1000:F2} ms";

    /// <summary>Leaves out (caps) every cell estimated above <paramref name="cellCap"/>, then, until the rest fits the
    /// budget, the cells of the largest sizes first (an ablation row before the main table's cells of its size, the most
    /// expensive first): the table is about small training sets. Cells left out that still fit come back.</summary>
    private static void Select(List<Cell> cells, double budget, double cellCap)
    {
        foreach (var cell in cells.Where(c => c.Requested && c.Estimate > cellCap))
        {
            cell.Selected = false;
            cell.Capped = true;
        }
        foreach (var cell in cells.Where(c => c.Selected).OrderByDescending(c => c.PerClass ?? int.MaxValue).ThenByDescending(c => c.Extra)
            .ThenByDescending(c => c.Estimate).ToList())
        {
            if (cells.Where(c => c.Selected).Sum(c => c.Estimate) <= budget)
            {
                break;
            }
            cell.Selected = false;
        }
        // Then back, smallest sizes and cheapest first, whatever still fits (a cheap cell of a large size need not go).
        foreach (var cell in cells.Where(c => c.Requested && !c.Selected && !c.Capped).OrderBy(c => c.PerClass ?? int.MaxValue).ThenBy(c => c.Extra).ThenBy(c => c.Estimate).ToList())
        {
            if (cells.Where(c => c.Selected).Sum(c => c.Estimate) + cell.Estimate <= budget)
            {
                cell.Selected = true;
            }
        }
    }

    private static void PrintPlan(List<ScenarioPlan?> plans, List<Cell> all, double budget, double cellCap, double calibration)
    {
        foreach (var plan in plans.Where(p => p is not null))
        {
            Console.WriteLine($"{plan!.Scenario.Key} plan (estimated wall seconds per cell; seeds summed; - = not run):");
            foreach (var group in plan.Cells.Where(c => c.Requested).GroupBy(c => (c.Method, c.Ablation, c.Extra)))
            {
                Console.WriteLine($"  {(group.Key.Extra ? "ablation " + group.Key.Ablation : Row(group.Key.Method)),-50} " + string.Join(", ",
                    group.GroupBy(c => c.PerClass).Select(g => $"{Size(g.Key)}{(g.Count() > 1 ? $" x{g.Count()}" : "")} {(g.All(c => c.Selected) ? "" : "-")}{g.Sum(c => c.Estimate):F0}")));
            }
            Console.WriteLine($"  {plan.Scenario.Key} to run: {plan.Cells.Where(c => c.Selected).Sum(c => c.Estimate) / 60:F1} min");
        }
        Console.WriteLine($"load average at the plan: {LoadAverage()} (estimates are this machine's wall time now: a loaded machine inflates them)");
        Console.WriteLine($"calibration took {calibration / 60:F1} min; the selected cells are estimated at {all.Where(c => c.Selected).Sum(c => c.Estimate) / 60:F1} min of the {budget / 60:F0} min budget");
        var named = plans.Where(p => p is not null).SelectMany(p => p!.Cells.Select(c => (Name: $"{p.Scenario.Key} {c.Name}", Cell: c))).ToList();
        var capped = named.Where(n => n.Cell.Capped).ToList();
        var dropped = named.Where(n => n.Cell.Requested && !n.Cell.Selected && !n.Cell.Capped).ToList();
        Console.WriteLine(capped.Count == 0 ? $"capped (over {cellCap / 60:F0} min a cell): none"
            : $"capped (over {cellCap / 60:F0} min a cell): " + string.Join(", ", capped.Select(n => $"{n.Name} ({n.Cell.Estimate / 60:F0} min)")));
        Console.WriteLine(dropped.Count == 0 ? "left out for the budget: none"
            : "left out for the budget: " + string.Join(", ", dropped.Select(n => $"{n.Name} ({n.Cell.Estimate / 60:F1} min)")));
    }

    private static void Execute(ScenarioPlan plan, string scratch, Stopwatch started, double budget)
    {
        // Sizes ascending, then methods and seeds, the ablation's own rows last: a budget overrun shows in the largest sizes.
        foreach (var cell in plan.Cells.Where(c => c.Selected).OrderBy(c => c.Extra).ThenBy(c => c.Images).ThenBy(c => c.Method).ThenBy(c => c.Seed))
        {
            string name = $"{plan.Scenario.Key} {cell.Name}";
            double left = budget - started.Elapsed.TotalSeconds;
            if (cell.Estimate > left)
            {
                cell.Selected = false;
                Console.WriteLine($"{name}: skipped, estimate {cell.Estimate:F0} s > {left:F0} s left");
                continue;
            }
            int[] trainIndices = TableRun.TrainingSet(plan.Train, plan.Pool, cell.PerClass, cell.Seed);
            Console.WriteLine($"{name} ({trainIndices.Length} images, estimate {cell.Estimate:F0} s) ...");
            try
            {
                cell.Result = cell.Method == TableMethod.Pixels
                    ? TableRun.Measure(() => new CellOutcome(PixelLogisticRegression.Accuracy(plan.Train, trainIndices, plan.Test, plan.TestIndices), null, 0))
                    : TableRun.Measure(() => TableRun.Pipeline(cell.Pipeline!, new TableIndices(trainIndices, plan.Valid, plan.TestIndices), Path.Combine(scratch, "runs")));
                Console.WriteLine($"  test accuracy {cell.Result.Accuracy * 100:F1}%{(cell.Result.PlainAccuracy is double p ? $" ({p * 100:F1}% without test-time flips)" : "")}, " +
                    $"{cell.Result.CpuSeconds:F1} s CPU, {cell.Result.WallSeconds:F1} s wall, {cell.Result.Epochs} epochs");
            }
            catch (Exception e) when (e is DataException or PipelineException or InvalidOperationException or IOException)
            {
                cell.Failure = e.Message;
                Console.WriteLine($"  failed: {e.Message}");
            }
        }
    }

    private static string Size(int? perClass) => perClass is int n ? $"{n}/class" : "all";

    /// <summary>The mean test accuracy and CPU seconds over a method's seeds at one size (null where none ran).</summary>
    private static TableValue Value(ScenarioPlan plan, TableMethod method, int? perClass)
    {
        var results = plan.Of(method, perClass).Select(c => c.Result).OfType<CellResult>().ToList();
        return new TableValue(method, perClass, results.Count == 0 ? null : results.Average(r => r.Accuracy),
            results.Count == 0 ? null : results.Average(r => r.CpuSeconds), results.Count);
    }

    private static IEnumerable<string> Markdown(TableScenario scenario, ScenarioPlan? plan, string? missing, TableLayout layout)
    {
        var sizes = layout.Sizes;
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
        string Epochs(TableMethod m) => $"({"abcde"[(int)m]}) " + string.Join(", ", sizes.Select(size =>
            plan.Of(m, size).FirstOrDefault()?.PhaseEpochs is { Length: > 0 } e ? string.Join("+", e) : "-"));
        yield return "- Epochs per phase, by size: " + string.Join("; ", Methods.Skip(1).Select(Epochs)) +
            " (gradual: head, then the last stage" + (plan.Cells.Any(c => c.Method == TableMethod.Gradual && c.PhaseEpochs.Length > 2) ? ", then the last two stages" : "") +
            "; fine_tune: head, then everything).";
        yield return "";
        yield return "| method | " + string.Join(" | ", sizes.Select(s => s is int n ? $"{n}/class" : $"all ({plan.Pool.Length:N0})")) + " |";
        yield return "|---|" + string.Concat(sizes.Select(_ => "---|"));
        foreach (var method in Methods)
        {
            yield return $"| {Row(method)} | " + string.Join(" | ", sizes.Select(s => CellText(plan.Of(method, s)))) + " |";
        }
        yield return "";
        var values = Methods.SelectMany(m => sizes.Select(s => Value(plan, m, s))).ToList();
        var ablation = layout.AblationSize is int size && plan.Cells.Any(c => c.Extra)
            ? Ablations.Select(r => (r, plan.Ablation(r))).ToList()
            : [];
        if (ablation.Count > 0)
        {
            yield return $"Ablation of (e) at {layout.AblationSize}/class (seed 0, the main table's images): each piece alone on `recipe: fine_tune`, then together; every model tested without and with `tta: [flip]` (the plain image's and the flipped image's softmax averaged).";
            yield return "";
            yield return "| fine_tune + | test accuracy | with `tta: [flip]` | CPU time |";
            yield return "|---|---|---|---|";
            foreach (var (row, cell) in ablation)
            {
                yield return $"| {AblationRow(row)} | " + (cell?.Result is { } r
                    ? $"{(r.PlainAccuracy ?? r.Accuracy) * 100:F1}% | {r.Accuracy * 100:F1}% | {r.CpuSeconds:F0} s cpu, {r.WallSeconds:F0} s wall |"
                    : $"{CellText(cell is null ? [] : [cell])} | | |");
            }
            yield return "";
        }
        var rows = ablation.Select(a => new TableAblationValue(a.r, a.Item2?.Result?.PlainAccuracy ?? a.Item2?.Result?.Accuracy, a.Item2?.Result?.Accuracy)).ToList();
        foreach (var line in TableInterpretation.Paragraphs(scenario.Key, values, sizes, rows))
        {
            yield return line;
            yield return "";
        }
    }

    private static string CellText(List<Cell> seeds)
    {
        if (seeds.Count == 0 || !seeds[0].Requested)
        {
            return "not requested";
        }
        var results = seeds.Select(c => c.Result).OfType<CellResult>().ToList();
        string Tta(IEnumerable<double?> plain) => plain.All(p => p is double) && results.Count > 0 ? $"; {plain.Average()!.Value * 100:F1}% without tta" : "";
        if (seeds.Count == 1 && results.Count == 1)
        {
            var r = results[0];
            return $"{r.Accuracy * 100:F1}% ({r.CpuSeconds:F0} s cpu, {r.WallSeconds:F0} s wall{Tta([r.PlainAccuracy])})";
        }
        if (results.Count > 0)
        {
            double mean = results.Average(r => r.Accuracy);
            double sd = results.Count > 1 ? Math.Sqrt(results.Sum(r => Math.Pow(r.Accuracy - mean, 2)) / (results.Count - 1)) : double.NaN;
            string spread = results.Count > 1 ? $" ± {sd * 100:F1}" : "";
            string missingSeeds = results.Count < seeds.Count ? $", {seeds.Count - results.Count} of {seeds.Count} seeds not run" : "";
            return $"{mean * 100:F1}{spread}% ({results.Count} seeds; {results.Average(r => r.CpuSeconds):F0} s cpu each{Tta(results.Select(r => r.PlainAccuracy))}{missingSeeds})";
        }
        var first = seeds[0];
        return first.Failure is not null ? $"failed: {first.Failure.Replace('|', '/').Split('\n')[0]}"
            : first.Capped ? $"capped (est. {Math.Max(1, Math.Round(seeds.Sum(c => c.Estimate) / 60)):F0} min wall)"
            : $"not run (est. {Math.Max(1, Math.Round(seeds.Sum(c => c.Estimate) / 60)):F0} min wall)";
    }

    public static string Row(TableMethod m) => m switch
    {
        TableMethod.Pixels => "(a) logistic regression on raw pixels",
        TableMethod.Scratch => "(b) network from scratch",
        TableMethod.Frozen => "(c) frozen pre-trained backbone + new head",
        TableMethod.Gradual => "(d) gradual unfreezing",
        TableMethod.FineTune => "(e) fine_tune recipe + augmentation",
        _ => throw new ArgumentOutOfRangeException(nameof(m), m, "unknown method"),
    };

    public static string AblationRow(TableAblation a) => a switch
    {
        TableAblation.Plain => "nothing (no augmentation)",
        TableAblation.TrivialAugment => "`trivial_augment`",
        TableAblation.MixCut => "`mixup` + `cutmix`",
        TableAblation.Ema => "`ema: { decay: 0.999 }`",
        TableAblation.Recipe => "`trivial_augment` + `mixup` + `cutmix` (= (e))",
        TableAblation.All => "`trivial_augment` + `mixup` + `cutmix` + `ema`",
        _ => throw new ArgumentOutOfRangeException(nameof(a), a, "unknown ablation row"),
    };

    private static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ')[0];
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

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
