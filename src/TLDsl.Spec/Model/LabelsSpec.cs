namespace TLDsl.Spec.Model;

/// <summary>The classes to predict.</summary>
/// <param name="FromData">True when the classes are taken from the data at run time (folder names).</param>
/// <param name="Items">The labels in order (empty when <paramref name="FromData"/>).</param>
public sealed record LabelsSpec(bool FromData, EquatableArray<LabelSpec> Items);

/// <summary>One class.</summary>
/// <param name="Name">The label as written (what data folders and CSV files use).</param>
/// <param name="Identifier">The C# enum member name (see <see cref="Validation.LabelNames"/>).</param>
public sealed record LabelSpec(string Name, string Identifier);
