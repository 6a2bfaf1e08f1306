using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using TLDsl.Runtime.Data;
using TLDsl.Runtime.Pipelines;
using TLDsl.Runtime.Prediction;
using TLDsl.Runtime.Surgery;
using TLDsl.Runtime.Tests.Data;
using TLDsl.Runtime.Training;
using TLDsl.Spec.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Tests.Training;

/// <summary>Mixup/cutmix losses, the weight average (train.ema) and test-time augmentation against hand computations,
/// and a run with all of them stopped and resumed bit-identically.</summary>
public sealed class RegularisationTests : IDisposable
{
    private readonly TempDir _dir = new();

    public RegularisationTests()
    {
        // Three classes of eight small textured images.
        foreach (var (name, shade) in new[] { ("cat", 30), ("dog", 120), ("emu", 210) })
        {
            for (int i = 0; i < 8; i++)
            {
                byte[] pixels = new byte[20 * 20 * 3];
                for (int p = 0; p < pixels.Length; p++)
                {
                    pixels[p] = (byte)((shade + (p * (i + 3) % 41) + (p % 60 < 30 ? 40 : 0)) % 256);
                }
                ImageFiles.WritePng(_dir.File("data", name, $"{i}.png"), pixels, 20, 20, 3);
            }
        }
    }

    public void Dispose() => _dir.Dispose();

    private string Pipeline(string name, string augment, string train, string tta = "")
    {
        string path = _dir.File(name + ".tl.yaml");
        File.WriteAllText(path, $$"""
            version: 1
            name: {{name}}
            base: { model: small_cnn, weights: none }
            input: { size: [16, 16], channels: 3 }
            labels: from_data
            head: [linear: labels]
            data:
              train: { folder: data }
              valid: { split: 0.25, seed: 1 }
              augment: {{augment}}
            {{tta}}
            train: { seed: 3, batch: 4, optimizer: { adamw: { lr: 3e-3 } }, runs: runs, phases: [{ epochs: 3 }]{{train}} }
            """);
        return path;
    }

    private static float[] Values(Tensor t) => t.contiguous().data<float>().ToArray();

    private static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.1)]
    public void The_mixed_loss_is_cross_entropy_on_mixed_smoothed_targets(double smoothing)
    {
        using var scope = NewDisposeScope();
        float[,] z = { { 2.0f, -1.0f, 0.5f }, { 0.1f, 0.3f, -2.0f }, { -0.5f, 1.5f, 1.0f } };
        long[] own = [0, 2, 1];
        float[] share = [0.7f, 1f, 0.25f];
        var logits = tensor(z);
        var labels = tensor(own);
        var mixed = new MixedBatch(zeros(3, 1, 1, 1), labels.flip(0), tensor(share));
        var loss = Values(TrainingLoss.PerSample(logits, labels, mixed, null, smoothing));

        // timm: target = λ × smooth(one_hot(own)) + (1 - λ) × smooth(one_hot(partner)), loss = -Σ target × log softmax.
        for (int i = 0; i < 3; i++)
        {
            long partner = own[2 - i];
            double[] row = [z[i, 0], z[i, 1], z[i, 2]];
            double logSum = Math.Log(row.Sum(Math.Exp));
            double expected = 0;
            for (int c = 0; c < 3; c++)
            {
                double Smooth(long label) => ((c == label ? 1 : 0) * (1 - smoothing)) + (smoothing / 3);
                double target = (share[i] * Smooth(own[i])) + ((1 - share[i]) * Smooth(partner));
                expected -= target * (row[c] - logSum);
            }
            Assert.Equal(expected, loss[i], 5);
        }

        // Unmixed, the loss is the plain cross-entropy.
        var plain = Values(TrainingLoss.PerSample(logits, labels, null, null, smoothing));
        Assert.Equal(Values(nn.functional.cross_entropy(logits, labels, reduction: nn.Reduction.None, label_smoothing: smoothing)), plain);
    }

    [Fact]
    public void The_weight_average_moves_by_one_minus_the_decay_and_swaps_in_and_out_exactly()
    {
        string pipeline = Pipeline("EmaUpdate", "[]", "");
        var file = PipelineFile.Parse(File.ReadAllText(pipeline), pipeline);
        var labels = PipelineInterpreter.Labels(file);
        using var model = TransferModelBuilder.Build(PipelineInterpreter.ModelPlan(file, labels), file.Spec.Name);
        var trained = model.named_parameters().Select(p => p.name).ToHashSet();
        const string key = "head.0.weight";
        var start = Values(model.state_dict()[key]);

        foreach (var (plan, step, share) in new[] { (new EmaPlan(0.9, Warmup: false), 0L, 0.1), (new EmaPlan(0.9), 0L, 0.9), (new EmaPlan(0.999), 40L, 1 - (41.0 / 50)) })
        {
            using var average = WeightAverage.Start(model, plan, trained);
            using (no_grad())
            {
                model.state_dict()[key].add_(1.0);
            }
            average.Update(model, step);
            var live = Values(model.state_dict()[key]);
            using (average.Apply(model))
            {
                // average = start + share × ((start + 1) - start)
                var averaged = Values(model.state_dict()[key]);
                for (int i = 0; i < averaged.Length; i++)
                {
                    Assert.True(Math.Abs(start[i] + share - averaged[i]) < 1e-5, $"{start[i]} + {share} != {averaged[i]}");
                }
            }
            Assert.Equal(live, Values(model.state_dict()[key]));
            using (no_grad())
            {
                model.state_dict()[key].sub_(1.0);
            }
        }
    }

    [Fact]
    public void The_average_is_validated_checkpointed_and_what_evaluate_loads()
    {
        string pipeline = Pipeline("EmaRun", "[mixup]", ", ema: { decay: 0.8 }");
        SessionResult result;
        string run;
        using (var session = TrainingSession.Start(pipeline))
        {
            result = session.Train();
            run = session.Run.Path;
        }
        string last = result.Training.LastCheckpoint!;
        Assert.True(File.Exists(Path.Combine(last, WeightAverage.FileName)));

        // The checkpoint's weights as loaded are the average, not model.dat's trained weights.
        var trainedWeights = TLDsl.Runtime.Weights.StateDictFile.Read(Path.Combine(last, "model.dat"));
        var averageWeights = TLDsl.Runtime.Weights.StateDictFile.Read(Path.Combine(last, WeightAverage.FileName));
        var loaded = Checkpoints.ReadWeights(last);
        Assert.Equal(trainedWeights.Keys.Order(), averageWeights.Keys.Order());
        Assert.Contains(averageWeights.Keys, k => !Same(trainedWeights[k], averageWeights[k]));
        Assert.All(averageWeights.Keys, k => Assert.True(Same(loaded[k], averageWeights[k]), k));

        // The last epoch's validation is the average's: evaluate the loaded average on the same split.
        using var model = RunModel.Open(run, CheckpointChoice.Last);
        var data = PipelineInterpreter.DataPlan(model.Pipeline, model.Labels);
        var metrics = Evaluator.Evaluate(model.Model, data.Valid, data.ValidIndices, model.Preprocessor, 4, 3);
        Assert.Equal(result.Training.Epochs[^1].ValidLoss!.Value, metrics.Loss!.Value, 5);
        Assert.Equal(result.Training.Epochs[^1].ValidAccuracy, metrics.Accuracy);
    }

    [Fact]
    public void A_run_with_mixing_new_augmentations_and_the_average_resumes_bit_identically()
    {
        const string augment = "[trivial_augment, pad_crop, random_erasing, { mixup: { alpha: 0.4 } }, cutmix]";
        string pipeline = Pipeline("EmaResume", augment, ", ema: { decay: 0.9 }, loss: { cross_entropy: { label_smoothing: 0.1 } }");
        SessionResult whole;
        using (var session = TrainingSession.Start(pipeline))
        {
            whole = session.Train();
        }
        string run;
        using (var first = TrainingSession.Start(pipeline))
        {
            var stopped = first.Train(stopAfterSteps: 7);
            Assert.False(stopped.Training.State.Finished);
            run = first.Run.Path;
        }
        SessionResult resumed;
        using (var second = TrainingSession.Resume(run))
        {
            resumed = second.Train();
        }

        foreach (var file in new[] { "model.dat", WeightAverage.FileName })
        {
            var a = TLDsl.Runtime.Weights.StateDictFile.Read(Path.Combine(whole.Training.LastCheckpoint!, file));
            var b = TLDsl.Runtime.Weights.StateDictFile.Read(Path.Combine(resumed.Training.LastCheckpoint!, file));
            Assert.Equal(a.Keys.Order(), b.Keys.Order());
            Assert.All(a.Keys, k => Assert.True(Same(a[k], b[k]), $"{file}: {k} differs after resume"));
        }
        Assert.Equal(whole.Training.Epochs.Select(e => (e.TrainLoss, e.ValidLoss)), resumed.Training.Epochs.Select(e => (e.TrainLoss, e.ValidLoss)));
    }

    [Fact]
    public void Test_time_augmentation_averages_the_views_probabilities()
    {
        string pipeline = Pipeline("TtaRun", "[]", "", "  tta: [flip]");
        string run;
        using (var session = TrainingSession.Start(pipeline))
        {
            session.Train();
            run = session.Run.Path;
        }
        using var model = RunModel.Open(run);
        var data = PipelineInterpreter.DataPlan(model.Pipeline, model.Labels);
        var tta = Evaluator.Evaluate(model.Model, data.Valid, data.ValidIndices, model.Preprocessor, 4, 3);
        var none = Evaluator.Evaluate(model.Model, data.Valid, data.ValidIndices,
            PipelineInterpreter.Preprocessor(model.Pipeline.Spec with { Data = model.Pipeline.Spec.Data! with { Tta = default } }, false), 4, 3);
        Assert.NotEqual(none.Loss, tta.Loss);

        // By hand: the mean over samples of -log((p(x) + p(flip x)) / 2)[label].
        double expected = 0;
        using (no_grad())
        {
            model.Model.eval();
            var x = model.Preprocessor.Batch(data.Valid, data.ValidIndices, train: false, seed: 3, epoch: 0);
            var p = (nn.functional.softmax(model.Model.call(x), 1) + nn.functional.softmax(model.Model.call(x.flip(3)), 1)) / 2;
            for (int i = 0; i < data.ValidIndices.Length; i++)
            {
                expected -= Math.Log(p[i, data.Valid.LabelOf(data.ValidIndices[i])].item<float>());
            }
        }
        Assert.Equal(expected / data.ValidIndices.Length, tta.Loss!.Value, 4);
    }
}
