using System.IO;
using System.Linq;
using TLDsl.Spec.Catalogue;
using TLDsl.Spec.Model;
using TLDsl.Spec.Parsing;
using TLDsl.Spec.Registries;
using TLDsl.Spec.Tests.Support;
using TLDsl.Spec.Validation;

namespace TLDsl.Spec.Tests.Validation;

public class FreezePlannerTests
{
    private static (PipelineSpec Spec, BaseModelInfo Model) Load(string name)
    {
        var spec = PipelineParser.Parse(File.ReadAllText(RepoPaths.Combine("pipelines", name)), name).Spec!;
        Assert.True(ModelCatalogue.Default.TryGet(spec.Base.Model!, out var model));
        return (spec, model);
    }

    [Fact]
    public void Gradual_unfreezing_opens_layer4_then_layer3()
    {
        var (spec, model) = Load("gradual-unfreezing.tl.yaml");
        var plan = FreezePlanner.Plan(spec, model);
        Assert.Equal(new[] { "head", "layer4", "layer3" }, plan.Select(p => p.Phase));
        Assert.All(plan, p => Assert.False(p.HeadFrozen));
        var owners = model.Modules.Where(m => !m.Parameters.IsEmpty).Select(m => m.Name).ToArray();
        Assert.Equal(owners, plan[0].Frozen.Select(f => f.Name));
        Assert.DoesNotContain(plan[1].Frozen, f => f.Name.StartsWith("layer4", System.StringComparison.Ordinal));
        Assert.Contains(plan[1].Frozen, f => f.Name == "layer3.0.conv1");
        Assert.DoesNotContain(plan[2].Frozen, f => f.Name.StartsWith("layer3", System.StringComparison.Ordinal));
        Assert.Contains(plan[2].Frozen, f => f.Name == "layer2.1.bn2" && f.BatchNorm == BatchNormPolicy.Eval);
    }

    [Fact]
    public void First_stages_rule_carries_its_batchnorm_policy_and_dropped_layers_are_not_planned()
    {
        var (spec, model) = Load("torchvision-resnet18-file.tl.yaml");
        var frozen = FreezePlanner.Plan(spec, model)[0].Frozen;
        Assert.Contains(new FrozenModule("bn1", BatchNormPolicy.TrainAffine), frozen);
        Assert.Contains(frozen, f => f.Name == "layer2.0.downsample.1");
        Assert.DoesNotContain(frozen, f => f.Name.StartsWith("layer3", System.StringComparison.Ordinal) || f.Name == "fc");
    }
}
