using TLDsl.Spec.Registries;

namespace TLDsl.Runtime.Surgery;

/// <summary>One added layer.</summary>
/// <param name="Kind">What it is.</param>
/// <param name="Size">Outputs of a linear layer.</param>
/// <param name="Probability">Dropout probability.</param>
/// <param name="Bias">Whether a linear layer has a bias.</param>
public sealed record HeadLayer(HeadLayerKind Kind, int Size = 0, double Probability = 0, bool Bias = true);
