namespace TLDsl.Spec.Catalogue;

/// <summary>One step of a base model's forward pass, as the catalogue's <c>layout:</c> lists it, with the step's own
/// output (for a child, the values of its <c>children:</c> entry).</summary>
/// <param name="Name">The child's name, or <see cref="PoolName"/> / <see cref="FlattenName"/> for a functional step.</param>
/// <param name="Kind">Child or functional step.</param>
/// <param name="OutChannels">Channels (or features) of the step's output.</param>
/// <param name="Spatial">True when the step's output is a map [N, C, H, W] (also when 1x1); false for a vector [N, C].</param>
public sealed record LayoutStepInfo(string Name, LayoutStepKind Kind, int OutChannels, bool Spatial)
{
    /// <summary>The name of a <see cref="LayoutStepKind.GlobalAveragePool"/> step, in catalogue files and layout checks.</summary>
    public const string PoolName = "(pool)";

    /// <summary>The name of a <see cref="LayoutStepKind.Flatten"/> step, in catalogue files and layout checks.</summary>
    public const string FlattenName = "(flatten)";
}
