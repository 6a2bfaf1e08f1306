using TLDsl.Runtime.Data;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Training;

/// <summary>The training loss per sample: cross-entropy with the pipeline's label smoothing and class weights, and
/// for a mixed batch (<see cref="BatchMixing"/>) <c>λ × loss(own label) + (1 - λ) × loss(partner's label)</c>. Cross-entropy
/// is linear in its target, so without class weights this is timm's soft-target loss on the mixed smoothed targets
/// <c>λ × smooth(own) + (1 - λ) × smooth(partner)</c>: label smoothing and mixup combine as timm combines them.</summary>
internal static class TrainingLoss
{
    /// <summary>The loss of each sample, <c>[B]</c>.</summary>
    public static Tensor PerSample(Tensor logits, Tensor labels, MixedBatch? mixed, Tensor? classWeights, double labelSmoothing)
    {
        var own = CrossEntropy(logits, labels, classWeights, labelSmoothing);
        if (mixed is null)
        {
            return own;
        }

        var partner = CrossEntropy(logits, mixed.PartnerLabels, classWeights, labelSmoothing);
        return (mixed.OwnShare * own) + ((1 - mixed.OwnShare) * partner);
    }

    // With reduction none, cross_entropy already weights each sample's terms by the class weights (PyTorch's
    // semantics); the sum is divided by the window's weight sum, as PyTorch's weighted mean is. Weighting the result
    // again squared the weights.
    private static Tensor CrossEntropy(Tensor logits, Tensor labels, Tensor? classWeights, double labelSmoothing) =>
        nn.functional.cross_entropy(logits, labels, classWeights, reduction: nn.Reduction.None, label_smoothing: labelSmoothing);
}
