using System;
using System.Linq;
using TLDsl.Runtime.Data;
using TLDsl.Runtime.Surgery;
using TorchSharp;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Training;

/// <summary>
/// The pieces of a training step that the <see cref="Trainer"/> and the <see cref="LearningRateFinder"/> share, so that a
/// sweep measures the loss of exactly the network, data path and update that training will use.
/// </summary>
internal static class TrainingStep
{
    /// <summary>Makes a phase's layers trainable or frozen, as the start of the phase does.</summary>
    public static void ApplyTrainability(TransferModel model, PhasePlan phase)
    {
        foreach (var unfreeze in phase.Unfreeze)
        {
            model.Unfreeze(unfreeze);
        }
        foreach (var rule in phase.Freeze)
        {
            model.Freeze(rule);
        }
    }

    /// <summary>Whether the frozen prefix's outputs may be computed once and reused: they must be exactly what
    /// recomputing them would give (no trainable or stochastic module in the prefix, no random augmentation in a phase
    /// that <paramref name="augment"/>s).</summary>
    public static bool CanCacheFeatures(TrainingPlan plan, TransferModel model, DataPlan data, int prefix, bool augment) =>
        plan.CacheFeatures && prefix > 0 && model.IsPrefixDeterministic(prefix) && !(augment && data.Preprocessor.HasRandomAugmentation);

    /// <summary>
    /// The logits and per-sample cross-entropy of one training batch: <paramref name="positions"/> are positions within
    /// the training split (they index <paramref name="features"/> when the prefix is cached). A phase that does not
    /// <paramref name="augment"/> sees the evaluation preprocessing (no augmentation, no mixing).
    /// </summary>
    public static (Tensor Logits, Tensor Labels, Tensor PerSample) Loss(TransferModel model, DataPlan data, TrainingPlan plan,
        ReadOnlySpan<int> positions, FeatureCache? features, int prefix, int epoch, bool augment, Tensor? classWeights)
    {
        int[] sampleIndices = new int[positions.Length];
        for (int i = 0; i < positions.Length; i++)
        {
            sampleIndices[i] = data.TrainIndices[positions[i]];
        }
        var y = ImagePreprocessor.Labels(data.Train, sampleIndices);
        var x = features is null ? data.Preprocessor.Batch(data.Train, sampleIndices, train: augment, plan.Seed, epoch) : null;
        // Mixup/cutmix disable the feature cache (HasRandomAugmentation), so they always have pixels to mix.
        var mixes = data.Preprocessor.Mixes;
        var mixed = x is not null && augment && mixes.Count > 0 ? BatchMixing.Apply(x, y, sampleIndices, mixes, plan.Seed, epoch) : null;
        var logits = x is not null ? model.call(mixed?.Images ?? x) : model.ForwardFrom(features!.Gather(positions), prefix);
        var perSample = TrainingLoss.PerSample(logits, y, mixed, classWeights, plan.LabelSmoothing);
        return (logits, y, perSample);
    }

    /// <summary>Applies the accumulated gradients (clipped when the plan says so) and clears them.</summary>
    public static void Update(TransferModel model, RunOptimizer optimizer, double? clipGradNorm)
    {
        // Reading a parameter's .grad makes a new tensor (clipping and the step read them all): outside a scope one
        // per parameter per step waited for a finalizer, keeping that step's gradient alive (issue #18).
        using (NewDisposeScope())
        {
            if (clipGradNorm is double clip)
            {
                nn.utils.clip_grad_norm_(model.parameters().Where(p => p.requires_grad), clip);
            }
            optimizer.Optimizer.step();
            optimizer.ClearGradients();
        }
    }
}
