using System.Globalization;
using TLDsl.Spec.Model;

namespace TLDsl.Spec.Attributes;

/// <summary>What kind of constant an attribute argument holds.</summary>
public enum AttributeValueKind
{
    /// <summary>A <c>string</c> (or null).</summary>
    Text,

    /// <summary>Any numeric constant (int, long, float, double).</summary>
    Number,

    /// <summary>A <c>bool</c>.</summary>
    Boolean,

    /// <summary>A <c>string[]</c> (including <c>params string[]</c>).</summary>
    StringArray,

    /// <summary>A numeric array (<c>double[]</c>, <c>int[]</c>).</summary>
    NumberArray,

    /// <summary>A <c>typeof(T)</c>: the type's fully qualified name.</summary>
    TypeName,
}

/// <summary>A constant attribute argument, as the generator read it from Roslyn's <c>TypedConstant</c>.</summary>
/// <param name="Kind">The kind of constant.</param>
/// <param name="Text">The string or type name (String, TypeName), else null.</param>
/// <param name="Number">The number (Number), else 0.</param>
/// <param name="Boolean">The boolean (Boolean), else false.</param>
/// <param name="Strings">The items (StringArray), else empty.</param>
/// <param name="Numbers">The items (NumberArray), else empty.</param>
public sealed record AttributeValue(
    AttributeValueKind Kind,
    string? Text,
    double Number,
    bool Boolean,
    EquatableArray<string> Strings,
    EquatableArray<double> Numbers)
{
    /// <summary>A string constant.</summary>
    /// <param name="value">The string.</param>
    public static AttributeValue Of(string? value) => new(AttributeValueKind.Text, value, 0, false, default, default);

    /// <summary>A numeric constant.</summary>
    /// <param name="value">The number.</param>
    public static AttributeValue Of(double value) => new(AttributeValueKind.Number, null, value, false, default, default);

    /// <summary>A boolean constant.</summary>
    /// <param name="value">The boolean.</param>
    public static AttributeValue Of(bool value) => new(AttributeValueKind.Boolean, null, 0, value, default, default);

    /// <summary>A string array constant.</summary>
    /// <param name="values">The strings.</param>
    public static AttributeValue Of(params string[] values) => new(AttributeValueKind.StringArray, null, 0, false, EquatableArray.From(values), default);

    /// <summary>A numeric array constant.</summary>
    /// <param name="values">The numbers.</param>
    public static AttributeValue Of(params double[] values) => new(AttributeValueKind.NumberArray, null, 0, false, default, EquatableArray.From(values));

    /// <summary>A <c>typeof(T)</c> constant.</summary>
    /// <param name="fullName">The type's name, e.g. <c>global::MyApp.Fashion</c>.</param>
    public static AttributeValue Type(string fullName) => new(AttributeValueKind.TypeName, fullName, 0, false, default, default);

    /// <summary>The value as C# source would show it, for messages.</summary>
    public override string ToString() => Kind switch
    {
        AttributeValueKind.Text => Text is null ? "null" : "\"" + Text + "\"",
        AttributeValueKind.Number => Number.ToString("R", CultureInfo.InvariantCulture),
        AttributeValueKind.Boolean => Boolean ? "true" : "false",
        AttributeValueKind.StringArray => "{ " + string.Join(", ", Strings) + " }",
        AttributeValueKind.NumberArray => "{ " + string.Join(", ", Numbers) + " }",
        _ => "typeof(" + Text + ")",
    };
}
