using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using TLDsl.Runtime.Data;
using TLDsl.Runtime.Pipelines;
using TLDsl.Runtime.Prediction;
using TLDsl.Runtime.Surgery;
using TLDsl.Runtime.Training;
using static TorchSharp.torch;

namespace TLDsl.Bench;

/// <summary>Which images a table cell trains, validates and is tested on (indices into the pipeline's sources).</summary>
internal sealed record TableIndices(int[] Train, int[] Valid, int[] Test);

/// <summary>What a trained cell measured: its test accuracy (with the pipeline's test-time views, if any) and, when it
/// has views, the accuracy of the same model without them.</summary>
internal sealed record CellOutcome(double Accuracy, double? PlainAccuracy, int Epochs);

/// <summary>Test accuracy of one cell (and without test-time views, when it has them), the CPU time of this process
/// over the cell (all threads: the <see cref="Process.TotalProcessorTime"/> delta) and its wall time.</summary>
internal sealed record CellResult(double Accuracy, double? PlainAccuracy, double CpuSeconds, double WallSeconds, int Epochs);

/// <summary>Runs one table cell: a pipeline file trained with the table's own indices (the pipeline's <c>limit_per_class</c>
/// and <c>valid</c> would draw different ones per pipeline), best checkpoint by validation accuracy, then tested.</summary>
internal static class TableRun
{
    public static CellResult Measure(Func<CellOutcome> cell)
    {
        using var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        var outcome = cell();
        process.Refresh();
        return new CellResult(outcome.Accuracy, outcome.PlainAccuracy, (process.TotalProcessorTime - cpu).TotalSeconds, watch.Elapsed.TotalSeconds, outcome.Epochs);
    }

    /// <summary>Trains <paramref name="pipelinePath"/> on <paramref name="indices"/> in a run folder under
    /// <paramref name="runs"/> (deleted afterwards) and returns the test accuracy of its best checkpoint (the weight
    /// average's, with <c>ema</c>), with and without the pipeline's test-time views.</summary>
    public static CellOutcome Pipeline(string pipelinePath, TableIndices indices, string runs)
    {
        var file = PipelineFile.Load(pipelinePath);
        var labels = PipelineInterpreter.Labels(file);
        var plan = PipelineInterpreter.TrainingPlan(file.Spec);
        var data = PipelineInterpreter.DataPlan(file, labels);
        data = data with { TrainIndices = indices.Train, Valid = data.Train, ValidIndices = indices.Valid, TestIndices = indices.Test };
        // As TrainingSession does: the head's initial weights come from the seed.
        manual_seed(plan.Seed);
        using var model = TransferModelBuilder.Build(PipelineInterpreter.ModelPlan(file, labels), file.Spec.Name);
        var run = RunFolder.CreateNew(runs, file.Spec.Name, DateTimeOffset.UtcNow);
        try
        {
            var result = new Trainer(model, data, plan, run).Run();
            if (result.BestCheckpoint is { } best)
            {
                Checkpoints.LoadModel(best, model);
            }
            var (accuracy, plain) = Test(model, data.Test!, data.TestIndices, PipelineInterpreter.Preprocessor(file.Spec, false), plan.BatchSize, plan.Seed);
            return new CellOutcome(accuracy, plain, result.Epochs.Count);
        }
        finally
        {
            Directory.Delete(run.Path, recursive: true);
        }
    }

    /// <summary>Test accuracy with the preprocessor's test-time views (as <see cref="Evaluator"/> averages them) and,
    /// when it has views, without them, from the same forward passes: the plain image's logits are computed once.</summary>
    private static (double Accuracy, double? Plain) Test(TransferModel model, IImageSource source, int[] indices, ImagePreprocessor preprocessor, int batchSize, int seed)
    {
        var views = preprocessor.TestViews;
        model.eval();
        using var noGrad = no_grad();
        long correct = 0, plainCorrect = 0;
        for (int start = 0; start < indices.Length; start += batchSize)
        {
            using var scope = NewDisposeScope();
            var span = indices.AsSpan(start, Math.Min(batchSize, indices.Length - start));
            var y = ImagePreprocessor.Labels(source, span);
            var pixels = preprocessor.Batch(source, span, train: false, seed, epoch: 0);
            var logits = model.call(pixels);
            plainCorrect += logits.argmax(1).eq(y).sum().item<long>();
            if (views.Count > 0)
            {
                var p = TestTimeAugmentation.Probabilities(x => ReferenceEquals(x, pixels) ? logits : model.call(x), pixels, views);
                correct += p.argmax(1).eq(y).sum().item<long>();
            }
        }
        double plain = (double)plainCorrect / indices.Length;
        return views.Count == 0 ? (plain, null) : ((double)correct / indices.Length, plain);
    }

    /// <summary>Trains <paramref name="pipelinePath"/> as the CLI would and exports its best checkpoint to
    /// <paramref name="weights"/> (<c>tldsl export</c>'s safetensors: a later pipeline loads the base model's keys and
    /// skips the old head). Returns the test (else validation) accuracy and the epochs.</summary>
    public static CellOutcome Pretrain(string pipelinePath, string weights, string runs)
    {
        SessionResult result;
        using (var session = TrainingSession.Start(pipelinePath, new TrainingOverrides { RunsRoot = runs }))
        {
            result = session.Train();
        }
        string export = Path.Combine(runs, "export");
        File.Copy(RunExporter.Export(result.Run.Path, export).Files[0], weights, overwrite: true);
        Directory.Delete(result.Run.Path, recursive: true);
        Directory.Delete(export, recursive: true);
        return new CellOutcome(result.Test?.Accuracy ?? result.Training.LastValidation?.Accuracy ?? double.NaN, null, result.Training.Epochs.Count);
    }

    /// <summary>The training and test sources of a pipeline, as its cells will see them.</summary>
    public static (IImageSource Train, IImageSource Test) Sources(string pipelinePath)
    {
        var file = PipelineFile.Load(pipelinePath);
        var data = PipelineInterpreter.DataPlan(file, PipelineInterpreter.Labels(file));
        return (data.Train, data.Test ?? throw new InvalidOperationException($"{pipelinePath} has no test source"));
    }

    /// <summary>The validation set (a fixed <paramref name="validPerClass"/> per class, never trained on), the pool the
    /// training sizes are drawn from (the rest), and the test subset (<paramref name="testPerClass"/> per class, or all).</summary>
    public static (int[] Valid, int[] Pool, int[] Test) Splits(IImageSource train, IImageSource test, int validPerClass, int? testPerClass)
    {
        int[] all = DataSplits.All(train);
        int[] valid = DataSplits.LimitPerClass(train, all, validPerClass, seed: 101);
        int[] pool = all.Except(valid).ToArray();
        int[] testIndices = testPerClass is int t ? DataSplits.LimitPerClass(test, DataSplits.All(test), t, seed: 202) : DataSplits.All(test);
        return (valid, pool, testIndices);
    }

    /// <summary>The training images of one size: <paramref name="perClass"/> per class from the pool (null: the whole
    /// pool). One draw per <paramref name="seed"/> for every size, so each size's images include the smaller sizes'
    /// images of the same seed; other seeds draw other images.</summary>
    public static int[] TrainingSet(IImageSource train, int[] pool, int? perClass, int seed = 0) =>
        perClass is int n ? DataSplits.LimitPerClass(train, pool, n, seed: 303 + (1000 * seed)) : pool;
}
