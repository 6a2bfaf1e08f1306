using System.IO;
using System.Linq;
using TLDsl.Spec.Model;
using TLDsl.Spec.Parsing;
using TLDsl.Spec.Registries;
using TLDsl.Spec.Tests.Support;

namespace TLDsl.Spec.Tests.Parsing;

public class SpecResolutionTests
{
    private static PipelineSpec Load(string name)
    {
        var result = PipelineParser.Parse(File.ReadAllText(RepoPaths.Combine("pipelines", name)), "pipelines/" + name);
        Assert.True(result.Spec is not null, Parse.Format(result));
        return result.Spec!;
    }

    [Fact]
    public void Quickstart_is_resolved_from_the_catalogue()
    {
        var spec = Load("quickstart.tl.yaml");
        Assert.Equal("FashionQuickstart", spec.Name);
        Assert.Equal((112, 112, 1), (spec.Input.Height, spec.Input.Width, spec.Input.Channels));
        Assert.Equal(NormalizeKind.Weights, spec.Input.Normalize.Kind);
        Assert.True(spec.Input.Normalize.Bgr);
        Assert.True(Spec.Catalogue.ModelCatalogue.Default.TryGet("resnet18_imagenet", out var model));
        Assert.Equal(model.FindWeights("imagenet")!.Mean, spec.Input.Normalize.Mean);
        Assert.Equal(new[] { 103.06, 115.90, 123.15 }, spec.Input.Normalize.Mean.Select(m => System.Math.Round(m, 2)));
        Assert.Equal(0.2, Assert.IsType<DropoutLayerSpec>(spec.Head[0]).P);
        var linear = Assert.IsType<LinearLayerSpec>(spec.Head[1]);
        Assert.Equal((512, 10, true, true), (linear.InFeatures, linear.OutFeatures, linear.OutIsLabels, linear.Bias));
        Assert.Equal("TShirt", spec.Labels.Items[0].Identifier);
        Assert.Equal("t-shirt", spec.Labels.Items[0].Name);
        Assert.Equal(FreezeSelector.Backbone, spec.Freeze[0].Selector);
        Assert.Equal(BatchNormPolicy.Eval, spec.Freeze[0].BatchNorm);
        Assert.Equal(15, spec.Train.Phases[0].Epochs);
        Assert.Equal(ScheduleKind.OneCycle, spec.Train.Phases[0].Schedule.Kind);
        Assert.Equal(OptimizerKind.AdamW, spec.Train.Optimizer.Kind);
        Assert.Equal(0.01, spec.Train.Optimizer.WeightDecay);
        Assert.Equal(new ValidSplitSpec(0.1, 1), spec.Data!.ValidSplit);
        Assert.Empty(spec.Base.Drop);
    }

    [Fact]
    public void File_weights_pipeline_resolves_drop_defaults_and_named_statistics()
    {
        var spec = Load("torchvision-resnet18-file.tl.yaml");
        Assert.Equal(new[] { "fc" }, spec.Base.Drop);
        Assert.Equal(WeightsKind.File, spec.Base.WeightsKind);
        Assert.Equal((224, 224), (spec.Input.Height, spec.Input.Width));
        Assert.Equal(new[] { 0.229, 0.224, 0.225 }, spec.Input.Normalize.Std);
        Assert.True(spec.Labels.FromData);
        Assert.Null(((LinearLayerSpec)spec.Head[1]).OutFeatures);
        Assert.Equal(MetricMode.Min, spec.Train.EarlyStopping!.Mode);
        Assert.Equal(ScheduleKind.Step, spec.Train.Phases[0].Schedule.Kind);
        Assert.Equal(0.5, spec.Train.Phases[0].Schedule.Gamma);
    }

    [Fact]
    public void Gradual_unfreezing_keeps_discriminative_learning_rates_in_order()
    {
        var spec = Load("gradual-unfreezing.tl.yaml");
        Assert.Equal(3, spec.Train.Phases.Count);
        Assert.Equal(new[] { new LrGroupSpec("layer3.*", 3e-5), new LrGroupSpec("layer4.*", 1e-4), new LrGroupSpec("head", 5e-4) }, spec.Train.Phases[2].LrGroups);
        Assert.Equal(MetricMode.Max, spec.Train.EarlyStopping!.Mode);
        Assert.Equal(new int?[] { 512, 512, 256, 256, 256 }, new[] { spec.Head[0].InFeatures, spec.Head[1].InFeatures, spec.Head[2].InFeatures, spec.Head[3].InFeatures, spec.Head[4].InFeatures });
    }

    [Fact]
    public void Specs_are_equal_after_a_comment_edit_and_differ_after_a_value_edit()
    {
        var text = File.ReadAllText(RepoPaths.Combine("pipelines", "gradual-unfreezing.tl.yaml"));
        var a = PipelineParser.Parse(text, "g.tl.yaml").Spec;
        var b = PipelineParser.Parse("# a new comment\n" + text.Replace("# head only", "# only the head", System.StringComparison.Ordinal), "g.tl.yaml").Spec;
        var c = PipelineParser.Parse(text.Replace("epochs: 3", "epochs: 4", System.StringComparison.Ordinal), "g.tl.yaml").Spec;
        Assert.Equal(a, b);
        Assert.Equal(a!.GetHashCode(), b!.GetHashCode());
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void Pool_concat_doubles_features_and_cut_at_keeps_a_spatial_map()
    {
        var result = Parse.Text("version: 1\nbase: { model: resnet18, cut_at: layer3 }\nlabels: [a, b]\nhead: [{ pool: concat }, flatten, batchnorm, { linear: labels }]\ntrain: { epochs: 1 }\n");
        Assert.True(result.Spec is not null, Parse.Format(result));
        Assert.Equal(new[] { "layer4", "avgpool", "fc" }, result.Spec!.Base.Drop);
        Assert.Equal(256, result.Spec.Head[0].InFeatures);
        Assert.Equal(512, result.Spec.Head[3].InFeatures);
        Assert.False(((NormLayerSpec)result.Spec.Head[2]).Spatial);
    }
}
