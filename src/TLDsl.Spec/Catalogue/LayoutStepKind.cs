namespace TLDsl.Spec.Catalogue;

/// <summary>What a step of a base model's forward pass does. Shared by the catalogue, the generator and the runtime,
/// so that the layout has one vocabulary.</summary>
public enum LayoutStepKind
{
    /// <summary>Calls the registered top-level child of that name.</summary>
    Child,

    /// <summary>A functional global average pool to 1x1 (the module has no child for it).</summary>
    GlobalAveragePool,

    /// <summary>Flattens everything after the batch dimension.</summary>
    Flatten,
}
