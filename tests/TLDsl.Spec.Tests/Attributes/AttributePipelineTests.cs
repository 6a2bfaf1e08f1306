using System.Linq;
using TLDsl.Spec.Attributes;
using TLDsl.Spec.Model;
using TLDsl.Spec.Parsing;
using TLDsl.Spec.Registries;
using TLDsl.Spec.Tests.Support;
using static TLDsl.Spec.Tests.Support.AttributeFixtures;

namespace TLDsl.Spec.Tests.Attributes;

public class AttributePipelineTests
{
    [Fact]
    public void Attributes_give_the_same_spec_as_the_equivalent_yaml()
    {
        var input = new AttributePipelineInput(
            "FashionAttr",
            "t-class",
            EquatableArray.Of(
                At("TransferPipeline", "t-tp", AttributeValue.Of("Fashion")).With("Description", AttributeValue.Of("from attributes")),
                At("BaseModel", "t-base", AttributeValue.Of("resnet18_imagenet")).With("Weights", AttributeValue.Of("imagenet")),
                At("Input", "t-input", AttributeValue.Of(112), AttributeValue.Of(112)).With("Channels", AttributeValue.Of(1)),
                At("Labels", "t-labels", AttributeValue.Type("global::Demo.FashionLabel")),
                At("LinearLabels", "t-l2", AttributeValue.Of(3)),
                At("Dropout", "t-d", AttributeValue.Of(1), AttributeValue.Of(0.2)),
                At("Linear", "t-l1", AttributeValue.Of(2), AttributeValue.Of(256)).With("Bias", AttributeValue.Of(false)),
                At("Relu", "t-r", AttributeValue.Of(2.5)),
                At("Freeze", "t-f", AttributeValue.Of("conv1", "bn1", "layer1.*")).With("BatchNorm", AttributeValue.Of("train_affine")),
                At("Freeze", "t-f2").With("FirstStages", AttributeValue.Of(2)),
                new AttributeOccurrence("Train", EquatableArray.Of(
                    new AttributeArgument("Batch", AttributeValue.Of(64), "t-b"),
                    new AttributeArgument("Seed", AttributeValue.Of(42), "t-s"),
                    new AttributeArgument("Optimizer", AttributeValue.Of("sgd"), "t-o"),
                    new AttributeArgument("Lr", AttributeValue.Of(0.01), "t-lr"),
                    new AttributeArgument("LabelSmoothing", AttributeValue.Of(0.1), "t-ls")), "t-train"),
                At("Phase", "t-p1", AttributeValue.Of(1), AttributeValue.Of(2)).With("Name", AttributeValue.Of("head")),
                At("Phase", "t-p2", AttributeValue.Of(2), AttributeValue.Of(1)).With("Unfreeze", AttributeValue.Of("layer4")).With("Lr", AttributeValue.Of(1e-4)),
                At("DataIdx", "t-data", AttributeValue.Of("data/i.gz"), AttributeValue.Of("data/l.gz")).With("Split", AttributeValue.Of(0.1)).With("SplitSeed", AttributeValue.Of(3)).With("Classes", AttributeValue.Of(7.0, 2.0))),
            EquatableArray.Of("TShirt", "Trouser"),
            "src/App/Fashion.cs");
        const string yaml = """
            version: 1
            name: Fashion
            description: from attributes
            base: { model: resnet18_imagenet, weights: imagenet }
            input: { size: [112, 112], channels: 1 }
            labels: [TShirt, Trouser]
            head:
              - dropout: 0.2
              - linear: { out: 256, bias: false }
              - relu
              - linear: labels
            freeze:
              - { layers: [conv1, bn1, "layer1.*"], batchnorm: train_affine }
              - { first_stages: 2 }
            data:
              train: { idx: { images: data/i.gz, labels: data/l.gz, classes: [7, 2] } }
              valid: { split: 0.1, seed: 3 }
            train:
              batch: 64
              seed: 42
              optimizer: { sgd: { lr: 0.01 } }
              loss: { cross_entropy: { label_smoothing: 0.1 } }
              phases:
                - { name: head, epochs: 2 }
                - { epochs: 1, unfreeze: [layer4], lr: 1e-4 }
            """;
        var fromAttributes = AttributePipelineReader.Read(input);
        var fromYaml = Parse.Text(yaml);
        Assert.True(fromAttributes.Spec is not null, Parse.Format(fromAttributes));
        Assert.True(fromYaml.Spec is not null, Parse.Format(fromYaml));
        Assert.Equal(fromYaml.Spec, fromAttributes.Spec);
        Assert.Equal(fromYaml.Spec!.GetHashCode(), fromAttributes.Spec!.GetHashCode());
    }

    [Fact]
    public void Diagnostics_carry_the_argument_token_and_no_span()
    {
        var result = AttributePipelineReader.Read(Input(
            new AttributeOccurrence("Train", EquatableArray.Of(new AttributeArgument("Epochs", AttributeValue.Of(0), "t-epochs-0")), "t-train")));
        var diagnostic = Parse.Single(result, "TLD0008");
        Assert.Equal("t-epochs-0", diagnostic.LocationToken);
        Assert.Null(diagnostic.Span);
        Assert.Equal("error TLD0008: train.epochs must be an integer >= 1 and <= 100000, but is 0", diagnostic.Format());
        Assert.Null(result.Spec);
    }

    [Fact]
    public void Missing_base_model_is_reported_at_the_class()
    {
        var input = Input() with { Attributes = EquatableArray.From(Input().Attributes.Where(a => a.Name != "BaseModel")) };
        var diagnostic = Parse.Single(AttributePipelineReader.Read(input), "TLD0006");
        Assert.Equal("t-class", diagnostic.LocationToken);
        Assert.Equal("The pipeline is missing the required key 'base'", diagnostic.Message);
    }

    [Fact]
    public void Unknown_model_points_at_the_base_model_attribute_and_class_name_is_the_default_name()
    {
        var input = Input() with { Attributes = EquatableArray.From(Input().Attributes.Select(a => a.Name == "BaseModel" ? At("BaseModel", "t-base", AttributeValue.Of("resnet")) : a)) };
        var diagnostic = Parse.Single(AttributePipelineReader.Read(input), "TLD0016");
        Assert.Equal("t-base", diagnostic.LocationToken);
        Assert.Equal("MyPipeline", AttributePipelineReader.Read(Input()).Spec!.Name);
    }

    [Fact]
    public void The_reference_documentation_example_is_valid()
    {
        // Mirrors the C# example in docs/pipeline-reference.md, "Attributes".
        var input = new AttributePipelineInput(
            "FashionPipeline",
            "t-class",
            EquatableArray.Of(
                At("TransferPipeline", "a1", AttributeValue.Of("Fashion")),
                At("BaseModel", "a2", AttributeValue.Of("resnet18_imagenet")).With("Weights", AttributeValue.Of("imagenet")),
                At("Input", "a3", AttributeValue.Of(112), AttributeValue.Of(112)).With("Channels", AttributeValue.Of(1)),
                At("Labels", "a4", AttributeValue.Type("global::FashionLabel")),
                At("Dropout", "a5", AttributeValue.Of(1), AttributeValue.Of(0.2)),
                At("LinearLabels", "a6", AttributeValue.Of(2)),
                At("Freeze", "a7").With("Backbone", AttributeValue.Of(true)),
                At("DataIdx", "a8", AttributeValue.Of("data/train-images-idx3-ubyte.gz"), AttributeValue.Of("data/train-labels-idx1-ubyte.gz")).With("Split", AttributeValue.Of(0.1)),
                new AttributeOccurrence("Train", EquatableArray.Of(
                    new AttributeArgument("Batch", AttributeValue.Of(64), "a9"),
                    new AttributeArgument("Optimizer", AttributeValue.Of("adamw"), "a9"),
                    new AttributeArgument("Lr", AttributeValue.Of(1e-3), "a9")), "a9"),
                At("Phase", "a10", AttributeValue.Of(1), AttributeValue.Of(3)).With("Name", AttributeValue.Of("head")).With("Schedule", AttributeValue.Of("one_cycle")),
                At("Phase", "a11", AttributeValue.Of(2), AttributeValue.Of(2)).With("Unfreeze", AttributeValue.Of("layer4")).With("Lr", AttributeValue.Of(1e-4))),
            EquatableArray.Of("TShirt", "Trouser", "Pullover"),
            "src/App/FashionPipeline.cs");
        var result = AttributePipelineReader.Read(input);
        Assert.True(result.Spec is not null && result.Diagnostics.Count == 0, Parse.Format(result));
        Assert.Equal(ScheduleKind.OneCycle, result.Spec!.Train.Phases[0].Schedule.Kind);
        Assert.Equal(3, ((LinearLayerSpec)result.Spec.Head[1]).OutFeatures);
    }

    [Fact]
    public void Input_is_value_equatable()
    {
        Assert.Equal(Input(), Input());
        Assert.Equal(Input().GetHashCode(), Input().GetHashCode());
    }
}
