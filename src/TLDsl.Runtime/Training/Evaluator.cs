using System;
using System.Collections.Generic;
using System.Linq;
using TLDsl.Runtime.Data;
using TLDsl.Runtime.Reporting;
using TLDsl.Runtime.Surgery;
using TLDsl.Spec.Model;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Training;

/// <summary>Runs a model over a split in eval mode and computes classification metrics.</summary>
public static class Evaluator
{
    /// <summary>Evaluates <paramref name="model"/> on <paramref name="indices"/> of <paramref name="source"/>, averaging
    /// the preprocessor's test-time views (<see cref="ImagePreprocessor.TestViews"/>) with the plain images.</summary>
    public static ClassificationMetrics Evaluate(TransferModel model, IImageSource source, int[] indices, ImagePreprocessor preprocessor,
        int batchSize, int seed) => Evaluate(model, source, indices, preprocessor, batchSize, seed, null, 0, preprocessor?.TestViews ?? []);

    /// <summary>Validation during training: no test-time views (a cached prefix has no pixels to turn).</summary>
    internal static ClassificationMetrics Evaluate(TransferModel model, IImageSource source, int[] indices, ImagePreprocessor preprocessor,
        int batchSize, int seed, FeatureCache? cache, int prefix) => Evaluate(model, source, indices, preprocessor, batchSize, seed, cache, prefix, []);

    private static ClassificationMetrics Evaluate(TransferModel model, IImageSource source, int[] indices, ImagePreprocessor preprocessor,
        int batchSize, int seed, FeatureCache? cache, int prefix, IReadOnlyList<TtaView> views)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        bool wasTraining = model.training;
        model.eval();
        var probabilities = new List<float[]>(indices.Length);
        var targets = new List<int>(indices.Length);
        double lossSum = 0;
        try
        {
            using var noGrad = no_grad();
            // Advanced by the batch actually taken, so a huge batch size cannot overflow the position.
            for (int start = 0, count; start < indices.Length; start += count)
            {
                using var scope = NewDisposeScope();
                count = Math.Min(batchSize, indices.Length - start);
                var span = indices.AsSpan(start, count);
                var y = ImagePreprocessor.Labels(source, span);
                Tensor p;
                if (views.Count > 0)
                {
                    // The loss of averaged probabilities: -log of the mean probability of the true class.
                    p = TestTimeAugmentation.Probabilities(model.call, preprocessor.Batch(source, span, train: false, seed, epoch: 0), views);
                    lossSum += nn.functional.nll_loss(p.clamp_min(1e-12).log(), y, reduction: nn.Reduction.Sum).item<float>();
                }
                else
                {
                    var logits = cache is null
                        ? model.call(preprocessor.Batch(source, span, train: false, seed, epoch: 0))
                        : model.ForwardFrom(cache.Gather(Enumerable.Range(start, count).ToArray()), prefix);
                    lossSum += nn.functional.cross_entropy(logits, y, reduction: nn.Reduction.Sum).item<float>();
                    p = nn.functional.softmax(logits, 1);
                }
                p = p.contiguous();
                float[] flat = p.data<float>().ToArray();
                int classes = (int)p.shape[1];
                for (int i = 0; i < count; i++)
                {
                    probabilities.Add(flat.AsSpan(i * classes, classes).ToArray());
                    targets.Add(source.LabelOf(span[i]));
                }
            }
        }
        finally
        {
            model.train(wasTraining);
        }
        return ClassificationMetrics.Compute(targets, probabilities.ToArray(), source.Labels,
            indices.Length == 0 ? null : lossSum / indices.Length);
    }
}
