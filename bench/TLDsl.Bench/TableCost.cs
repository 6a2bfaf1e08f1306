using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using TLDsl.Runtime.Data;
using TLDsl.Runtime.Pipelines;
using TLDsl.Runtime.Surgery;
using TLDsl.Runtime.Training;
using static TorchSharp.torch;

namespace TLDsl.Bench;

/// <summary>Seconds per image of each part of a pipeline's training, timed on a few real batches of this machine, so a
/// cell's cost can be estimated before it runs (and cells that cannot fit the budget are reported with an estimate).</summary>
/// <param name="Build">Building the model and loading its weights, once.</param>
/// <param name="Checkpoint">Writing the model once: an epoch that improves on the best writes a checkpoint (counted
/// for every epoch, the worst case).</param>
/// <param name="Preprocess">Decoding, resizing and normalising one image.</param>
/// <param name="Forward">The whole model in eval mode, one image (test and uncached validation).</param>
/// <param name="Phases">Per phase: whether the trainer caches its frozen prefix, and per image: that prefix's forward
/// (the cache build), a training step from the prefix's output (or from pixels, uncached), an evaluation from it.</param>
/// <param name="Ema">Whether the pipeline averages its weights: validation then runs the whole model every epoch.</param>
/// <param name="TestPasses">Forward passes per test image: the plain image and each test-time view.</param>
internal sealed record TableCost(double Build, double Checkpoint, double Preprocess, double Forward, IReadOnlyList<(bool Cached, double Prefix, double Step, double Eval)> Phases,
    bool Ema = false, int TestPasses = 1)
{
    /// <summary>Estimated seconds for a run with <paramref name="epochs"/> per phase over <paramref name="train"/>
    /// training, <paramref name="valid"/> validation and <paramref name="test"/> test images.</summary>
    public double Estimate(IReadOnlyList<int> epochs, int train, int valid, int test)
    {
        double seconds = Build + (test * TestPasses * (Preprocess + Forward)) + (epochs.Sum() * Checkpoint);
        double uncachedValid = valid * (Preprocess + Forward);
        for (int k = 0; k < Phases.Count; k++)
        {
            var (cached, prefix, step, eval) = Phases[k];
            seconds += cached
                ? ((Ema ? train : train + valid) * (Preprocess + prefix)) + (epochs[k] * ((train * step) + (Ema ? uncachedValid : valid * eval)))
                : epochs[k] * ((train * step) + uncachedValid);
        }
        return seconds;
    }

    /// <summary>Times the parts of <paramref name="pipelinePath"/> on real images of its training source.</summary>
    public static TableCost Calibrate(string pipelinePath, int[] sample)
    {
        var file = PipelineFile.Load(pipelinePath);
        var labels = PipelineInterpreter.Labels(file);
        var plan = PipelineInterpreter.TrainingPlan(file.Spec);
        var data = PipelineInterpreter.DataPlan(file, labels);
        var eval = PipelineInterpreter.Preprocessor(file.Spec, false);
        int batch = Math.Min(plan.BatchSize, sample.Length);
        int[] ids = sample[..batch];
        var watch = Stopwatch.StartNew();
        manual_seed(plan.Seed);
        using var model = TransferModelBuilder.Build(PipelineInterpreter.ModelPlan(file, labels), file.Spec.Name);
        double build = watch.Elapsed.TotalSeconds;
        string temp = Path.GetTempFileName();
        watch.Restart();
        model.save(temp);
        double checkpoint = watch.Elapsed.TotalSeconds;
        File.Delete(temp);
        double preprocess = PerImage(batch, () => eval.Batch(data.Train, ids, false, plan.Seed, 0));
        using var pixels = eval.Batch(data.Train, ids, false, plan.Seed, 0);
        using var y = ImagePreprocessor.Labels(data.Train, ids);
        double forward = PerImage(batch, () => Evaluate(model, () => model.call(pixels)));
        var phases = new List<(bool, double, double, double)>();
        using var optimizer = optim.SGD(model.parameters(), 1e-6);
        foreach (var phase in plan.Phases)
        {
            foreach (var unfreeze in phase.Unfreeze)
            {
                model.Unfreeze(unfreeze);
            }
            foreach (var rule in phase.Freeze)
            {
                model.Freeze(rule);
            }
            int prefix = model.FrozenPrefixLength();
            bool cached = TrainingStep.CanCacheFeatures(plan, model, data, prefix, phase.Augment);
            using var features = Evaluate(model, () => model.RunSteps(pixels, 0, prefix));
            double prefixSeconds = cached ? PerImage(batch, () => Evaluate(model, () => model.RunSteps(pixels, 0, prefix))) : 0;
            double step = PerImage(batch, () =>
            {
                model.train();
                var input = cached ? features : data.Preprocessor.Batch(data.Train, ids, phase.Augment, plan.Seed, 0);
                var logits = cached ? model.ForwardFrom(input, prefix) : model.call(input);
                nn.functional.cross_entropy(logits, y).backward();
                optimizer.step();
                optimizer.zero_grad();
                return logits;
            });
            double evalSeconds = cached ? PerImage(batch, () => Evaluate(model, () => model.ForwardFrom(features, prefix))) : 0;
            phases.Add((cached, prefixSeconds, step, evalSeconds));
        }
        return new TableCost(build, checkpoint, preprocess, forward, phases, plan.Ema is not null, 1 + eval.TestViews.Count);
    }

    private static Tensor Evaluate(TransferModel model, Func<Tensor> f)
    {
        model.eval();
        using var noGrad = no_grad();
        return f();
    }

    /// <summary>Seconds per image of <paramref name="f"/> on a batch: one warm-up call, then the fastest of up to five
    /// (fewer once half a second has gone by).</summary>
    private static double PerImage(int batch, Func<Tensor> f)
    {
        double best = double.MaxValue;
        var total = Stopwatch.StartNew();
        for (int i = 0; i < 6 && (i < 2 || total.Elapsed.TotalSeconds < 0.5); i++)
        {
            using var scope = NewDisposeScope();
            var watch = Stopwatch.StartNew();
            f();
            if (i > 0)
            {
                best = Math.Min(best, watch.Elapsed.TotalSeconds);
            }
        }
        return best / batch;
    }
}
