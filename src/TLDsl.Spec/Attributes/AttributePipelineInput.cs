using TLDsl.Spec.Model;

namespace TLDsl.Spec.Attributes;

/// <summary>
/// A pipeline written as attributes on a partial class, in a Roslyn-free form: the generator fills it from
/// <c>ForAttributeWithMetadataName</c> and passes its own location objects as tokens; diagnostics come back with
/// the token of the attribute or argument they concern. Value-equatable (when the tokens are), so it caches.
/// </summary>
/// <param name="ClassName">The class's simple name (the default pipeline name).</param>
/// <param name="ClassLocationToken">Location of the class declaration, for diagnostics about the whole pipeline.</param>
/// <param name="Attributes">The TLDsl attributes on the class, in source order.</param>
/// <param name="LabelNames">Member names of the enum given to <c>[Labels(typeof(TEnum))]</c>, in declaration order; empty otherwise.</param>
/// <param name="SourcePath">The C# file; relative paths in attributes resolve against its folder.</param>
public sealed record AttributePipelineInput(
    string ClassName,
    object? ClassLocationToken,
    EquatableArray<AttributeOccurrence> Attributes,
    EquatableArray<string> LabelNames,
    string SourcePath);

/// <summary>One attribute on the class.</summary>
/// <param name="Name">The attribute's short name without the <c>Attribute</c> suffix, e.g. <c>BaseModel</c>.</param>
/// <param name="Arguments">Constructor arguments in order (Name null), then named arguments.</param>
/// <param name="LocationToken">Location of the attribute.</param>
public sealed record AttributeOccurrence(string Name, EquatableArray<AttributeArgument> Arguments, object? LocationToken);

/// <summary>One argument of an attribute.</summary>
/// <param name="Name">The property name for a named argument (<c>Weights = "imagenet"</c>), null for a constructor argument.</param>
/// <param name="Value">The constant.</param>
/// <param name="LocationToken">Location of the argument (or of the attribute when unknown).</param>
public sealed record AttributeArgument(string? Name, AttributeValue Value, object? LocationToken);
