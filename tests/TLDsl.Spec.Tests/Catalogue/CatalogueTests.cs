using System.Linq;
using TLDsl.Spec.Catalogue;
using TLDsl.Spec.Parsing;
using TLDsl.Spec.Tests.Support;

namespace TLDsl.Spec.Tests.Catalogue;

public class CatalogueTests
{
    private static BaseModelInfo Get(string name)
    {
        Assert.True(ModelCatalogue.Default.TryGet(name, out var model), name);
        return model;
    }

    private static long ParameterCount(BaseModelInfo model) =>
        model.Modules.SelectMany(m => m.Parameters).Sum(p => p.Shape.Aggregate(1L, (a, b) => a * b));

    [Fact]
    public void Every_embedded_file_is_a_valid_model_named_like_its_file()
    {
        var texts = ModelCatalogue.ReadEmbeddedTexts();
        Assert.Contains("resnet18", texts.Keys);
        Assert.Contains("resnet18_imagenet", texts.Keys);
        foreach (var pair in texts)
        {
            var model = CatalogueReader.Read(pair.Value, out var errors);
            Assert.True(model is not null, pair.Key + ": " + string.Join("; ", errors));
            Assert.Equal(pair.Key, model!.Name);
            Assert.Equal(model.Children.Select(c => c.Name).Order(), model.Modules.Select(m => m.Name).Where(n => !n.Contains('.', System.StringComparison.Ordinal)).Order());
            Assert.All(model.Stages.SelectMany(s => s), name => Assert.Contains(model.Modules, m => m.Name == name));
            Assert.All(model.Classifier, name => Assert.NotNull(model.FindChild(name)));
            var backbone = model.Children.Where(c => !model.Classifier.Contains(c.Name)).ToArray();
            Assert.True(backbone.Length > 0 && model.OutputAfter(backbone[^1].Name)!.OutChannels == model.FeatureSize, pair.Key + ": feature_size must equal the output after the last child before the classifier");
            Assert.Equal(model.Children.Select(c => c.Name), model.Layout.Where(s => s.Kind == LayoutStepKind.Child).Select(s => s.Name));
            Assert.All(model.Weights, w => Assert.Equal(model.Channels, w.Mean.Count));
        }

        Assert.Equal(texts.Keys.OrderBy(k => k, System.StringComparer.Ordinal), ModelCatalogue.Default.Names);
    }

    [Fact]
    public void Resnet18_matches_torchvision()
    {
        var model = Get("resnet18");
        Assert.Equal(11_689_512, ParameterCount(model)); // torchvision resnet18: 11,689,512 parameters
        Assert.Equal(new[] { "fc" }, model.Classifier);
        Assert.Equal(512, model.FeatureSize);
        Assert.Equal((224, 224, 3), (model.InputHeight, model.InputWidth, model.Channels));
        Assert.Empty(model.Weights); // torchvision's weights are not available offline; files bring their own statistics
        Assert.Equal(new long[] { 128, 64, 1, 1 }, model.Modules.Single(m => m.Name == "layer2.0.downsample.0").Parameters.Single().Shape);
        Assert.Equal(System.Array.Empty<long>(), model.Modules.Single(m => m.Name == "bn1").Buffers.Single(b => b.Name == "num_batches_tracked").Shape);
    }

    [Fact]
    public void Resnet18_imagenet_is_headless_with_three_blocks_in_layer4_and_bgr_means()
    {
        var model = Get("resnet18_imagenet");
        Assert.Empty(model.Classifier);
        Assert.Null(model.FindChild("fc"));
        Assert.Contains(model.Modules, m => m.Name == "layer4.2.conv2");
        Assert.DoesNotContain(model.Modules, m => m.Name == "layer4.3");
        // resnet18 minus fc (513,000) plus a third 512-channel BasicBlock (2 * (512*512*9 + 2*512) = 4,720,640).
        Assert.Equal(11_689_512 - 513_000 + 4_720_640, ParameterCount(model));
        var weights = model.FindWeights("imagenet")!;
        Assert.True(weights.Bgr);
        Assert.Equal(new[] { 103.06, 115.90, 123.15 }, weights.Mean.Select(m => System.Math.Round(m, 2)));
        Assert.Empty(weights.Std);
        Assert.True(model.FindChild("avgpool")!.Spatial); // its own output is a 1x1 map...
        Assert.Equal(new LayoutStepInfo(LayoutStepInfo.FlattenName, LayoutStepKind.Flatten, 512, false), model.OutputAfter("avgpool")); // ...which the layout flattens
    }

    [Fact]
    public void Mobilenet_v2_layout_pools_and_flattens_its_spatial_features_before_the_classifier()
    {
        var model = Get("mobilenet_v2");
        Assert.Equal(new[] { "features", LayoutStepInfo.PoolName, LayoutStepInfo.FlattenName, "classifier" }, model.Layout.Select(s => s.Name));
        Assert.Equal(new[] { LayoutStepKind.Child, LayoutStepKind.GlobalAveragePool, LayoutStepKind.Flatten, LayoutStepKind.Child }, model.Layout.Select(s => s.Kind));
        Assert.Equal(new ChildInfo("features", "Sequential", 1280, true), model.FindChild("features")); // was spatial: false (recorded after the pool)
        Assert.Equal((1280, false), (model.OutputAfter("features")!.OutChannels, model.OutputAfter("features")!.Spatial));
        Assert.Null(model.OutputAfter("nope"));
    }

    [Theory]
    [InlineData("  - {name: (squash), out_channels: 4, spatial: false}\n", "'layout[1].name' must be (pool) or (flatten) (a child is written as its name), not '(squash)'")]
    [InlineData("  - fc\n", "'layout[1]': 'fc' is not a child; children: a, b")]
    [InlineData("  - [x]\n", "'layout[1]' must be a child's name or a mapping")]
    [InlineData("  - {name: (pool), out_channels: 4, spatial: maybe}\n", "'layout[1].spatial' must be true or false, not 'maybe'")]
    [InlineData("  - b\n", "'layout' must list every child once, in the order of 'children' (a, b)")]
    public void Reader_reports_a_malformed_layout(string secondStep, string expected)
    {
        var text = Tiny.Replace("  - {name: (flatten), out_channels: 4, spatial: false}\n", secondStep, System.StringComparison.Ordinal);
        Assert.NotEqual(Tiny, text);
        Assert.Null(CatalogueReader.Read(text, out var errors));
        Assert.Contains(errors, e => e.Contains(expected, System.StringComparison.Ordinal));
    }

    [Fact]
    public void Layout_is_required_in_a_catalogue_file_and_refused_in_an_onnx_listing()
    {
        Assert.NotNull(CatalogueReader.Read(Tiny, out var errors));
        Assert.Empty(errors);
        var withoutLayout = Tiny.Replace("layout:\n  - a\n  - {name: (flatten), out_channels: 4, spatial: false}\n  - b\n", string.Empty, System.StringComparison.Ordinal);
        Assert.DoesNotContain("layout", withoutLayout, System.StringComparison.Ordinal);
        Assert.Null(CatalogueReader.Read(withoutLayout, out errors));
        Assert.Contains("'layout' must be a list", errors);

        var listing = CatalogueReader.Read(withoutLayout.Replace("family: cnn", "family: onnx", System.StringComparison.Ordinal), out errors);
        Assert.Empty(errors);
        Assert.Equal(new[] { "a", "b" }, listing!.Layout.Select(s => s.Name)); // a graph's layers, nothing between them
        Assert.Null(CatalogueReader.Read(Tiny.Replace("family: cnn", "family: onnx", System.StringComparison.Ordinal), out errors));
        Assert.Contains(errors, e => e.StartsWith("'layout' is not allowed in an ONNX layer listing", System.StringComparison.Ordinal));
    }

    private const string Tiny = "name: tiny\nfamily: cnn\ninput: {size: [8, 8], channels: 1}\nweights: {}\nfeature_size: 4\nclassifier: [b]\nstages: [[a]]\n" +
        "children:\n  - {name: a, kind: Conv2d, out_channels: 4, spatial: true}\n  - {name: b, kind: Linear, out_channels: 2, spatial: false}\n" +
        "layout:\n  - a\n  - {name: (flatten), out_channels: 4, spatial: false}\n  - b\n" +
        "modules: []\n";

    [Fact]
    public void Reader_reports_malformed_files()
    {
        Assert.Null(CatalogueReader.Read("name: x\nfamily: y\nsurprise: 1\n", out var errors));
        Assert.Contains(errors, e => e.Contains("surprise", System.StringComparison.Ordinal));
        Assert.Null(CatalogueReader.Read("[1, 2", out errors));
        Assert.NotEmpty(errors);
    }

    [Fact]
    public void Onnx_layer_listing_enables_build_time_checks()
    {
        var listing = ModelCatalogue.ReadEmbeddedTexts()["resnet18_imagenet"];
        var requested = new System.Collections.Generic.List<string>();
        var options = new PipelineParseOptions
        {
            ReadFile = path =>
            {
                requested.Add(path);
                return path == "pipes/models/r18.layers.yaml" ? listing : null;
            },
        };
        const string yaml = "version: 1\nbase: { onnx: models/r18.onnx, layers: models/r18.layers.yaml }\ninput: { normalize: { bgr_mean: [103.06, 115.9, 123.15] } }\nlabels: [a, b]\nhead: [{ linear: labels }]\nfreeze: [{ layers: [layer4, layer9] }]\ntrain: { epochs: 1 }\n";
        var result = PipelineParser.Parse(yaml, "pipes/p.tl.yaml", options);
        Assert.Equal(new[] { "pipes/models/r18.layers.yaml" }, requested);
        var diagnostic = Parse.Single(result, "TLD0018");
        Assert.Contains("'layer9'", diagnostic.Message, System.StringComparison.Ordinal);
        Assert.DoesNotContain(result.Diagnostics, d => d.Id == "TLD0025");
    }

    [Fact]
    public void Custom_catalogue_is_data_driven()
    {
        var model = Get("resnet18_imagenet") with { Name = "tiny" };
        var catalogue = ModelCatalogue.FromModels(new[] { model });
        var result = Parse.Text("version: 1\nbase: { model: tiny, weights: imagenet }\nlabels: [a]\nhead: [{ linear: labels }]\ntrain: { epochs: 1 }\n", new PipelineParseOptions { Catalogue = catalogue });
        Assert.NotNull(result.Spec);
        Assert.Equal(new[] { "tiny" }, catalogue.Names);
    }
}

public class EveryModelTests
{
    public static TheoryData<string> Models()
    {
        var data = new TheoryData<string>();
        foreach (var name in ModelCatalogue.Default.Names)
        {
            data.Add(name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void A_typical_fine_tuning_pipeline_validates_for_every_catalogue_model(string name)
    {
        Assert.True(ModelCatalogue.Default.TryGet(name, out var model));
        var kept = model.Children.Where(c => !model.Classifier.Contains(c.Name)).ToArray();
        var spatial = model.OutputAfter(kept[^1].Name)!.Spatial;
        var lastStage = model.Stages[model.Stages.Count - 1][0];
        var yaml = "version: 1\n" +
            "base: { model: " + name + ", drop: [classifier] }\n" +
            "input: { normalize: { mean: [" + Repeat("0.5", model.Channels) + "], std: [" + Repeat("0.25", model.Channels) + "] } }\n" +
            "labels: [a, b, c]\n" +
            "head:\n" + (spatial ? "  - pool: avg\n" : string.Empty) + "  - dropout: 0.2\n  - linear: labels\n" +
            "freeze: [backbone]\n" +
            "train:\n  phases:\n    - { epochs: 1 }\n    - { epochs: 1, unfreeze: [\"" + lastStage + "\"], lr: { \"" + lastStage + "\": 1e-4, head: 1e-3 } }\n";
        var result = Parse.Text(yaml);
        Assert.True(result.Spec is not null && result.Diagnostics.Count == 0, name + ":\n" + Parse.Format(result));
        Assert.Equal(model.FeatureSize, result.Spec!.Head[spatial ? 1 : 0].InFeatures);

        var stages = Parse.Text(yaml.Replace("freeze: [backbone]", "freeze: [{ first_stages: " + model.Stages.Count + " }]", System.StringComparison.Ordinal));
        Assert.True(stages.Spec is not null, name + ":\n" + Parse.Format(stages));
    }

    [Theory]
    [InlineData("mobilenet_v2", "features", false, 1280)] // the layout pools and flattens after features: a vector
    [InlineData("vgg11", "features", true, 512)] // the layout's avgpool comes after features: a map
    [InlineData("vgg11", "avgpool", false, 25088)] // avgpool's 7x7 map, flattened
    [InlineData("resnet18", "layer4", true, 512)]
    public void The_head_receives_what_the_layout_delivers_after_the_cut(string name, string cutAt, bool spatial, int features)
    {
        var yaml = "version: 1\nbase: { model: " + name + ", cut_at: " + cutAt + " }\nlabels: [a, b]\nhead:\n" +
            (spatial ? "  - pool: avg\n" : string.Empty) + "  - linear: labels\ntrain: { epochs: 1 }\n";
        var result = Parse.Text(yaml);
        Assert.True(result.Spec is not null && result.Diagnostics.Count == 0, name + ":\n" + Parse.Format(result));
        Assert.Equal(features, result.Spec!.Head[^1].InFeatures);

        var wrong = Parse.Text(spatial ? yaml.Replace("  - pool: avg\n", string.Empty, System.StringComparison.Ordinal) : yaml.Replace("head:\n", "head:\n  - pool: avg\n", System.StringComparison.Ordinal));
        Assert.Equal("TLD0020", Assert.Single(wrong.Diagnostics).Id);
    }

    private static string Repeat(string value, int count) => string.Join(", ", Enumerable.Repeat(value, count));
}
