using System.Linq;
using TLDsl.Spec.Attributes;
using TLDsl.Spec.Model;

namespace TLDsl.Spec.Tests.Support;

internal static class AttributeFixtures
{
    public static AttributeOccurrence At(string name, string token, params AttributeValue[] positional) =>
        new(name, EquatableArray.From(positional.Select(v => new AttributeArgument(null, v, token))), token);

    public static AttributeOccurrence With(this AttributeOccurrence occurrence, string name, AttributeValue value, string? token = null) =>
        occurrence with { Arguments = EquatableArray.From(occurrence.Arguments.Append(new AttributeArgument(name, value, token ?? occurrence.LocationToken))) };

    /// <summary>A minimal valid attribute pipeline plus the given attributes.</summary>
    public static AttributePipelineInput Input(params AttributeOccurrence[] extra) =>
        new(
            "MyPipeline",
            "t-class",
            EquatableArray.From(new[]
            {
                At("BaseModel", "t-base", AttributeValue.Of("resnet18_imagenet")).With("Weights", AttributeValue.Of("imagenet")),
                At("Labels", "t-labels", AttributeValue.Type("global::Demo.Kind")),
                At("LinearLabels", "t-linear", AttributeValue.Of(10)),
            }.Concat(extra.Any(e => e.Name == "Train") ? extra : extra.Append(new AttributeOccurrence("Train", EquatableArray.Of(new AttributeArgument("Epochs", AttributeValue.Of(1), "t-epochs")), "t-train")))),
            EquatableArray.Of("Cat", "Dog"),
            "src/Demo/MyPipeline.cs");
}
