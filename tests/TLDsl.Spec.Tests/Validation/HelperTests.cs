using TLDsl.Spec.Parsing;
using TLDsl.Spec.Validation;

namespace TLDsl.Spec.Tests.Validation;

public class HelperTests
{
    [Theory]
    [InlineData("t-shirt", "TShirt")]
    [InlineData("ankle_boot", "AnkleBoot")]
    [InlineData("T-shirt/top", "TShirtTop")]
    [InlineData("3d", "_3d")]
    [InlineData("class", "Class")]
    [InlineData("café au lait", "CaféAuLait")]
    [InlineData("iPhone", "IPhone")]
    [InlineData("--", null)]
    public void Label_names_map_to_identifiers(string label, string? identifier) =>
        Assert.Equal(identifier, LabelNames.ToIdentifier(label));

    [Theory]
    [InlineData("layer4", "layer4", true)]
    [InlineData("layer4.*", "layer4.1", true)]
    [InlineData("layer4.*", "layer4.1.conv1", false)]
    [InlineData("layer4.**", "layer4.1.conv1", true)]
    [InlineData("layer?", "layer3", true)]
    [InlineData("*.bn1", "layer1.0.bn1", false)]
    [InlineData("**.bn1", "layer1.0.bn1", true)]
    [InlineData("layer1.0", "layer1.01", false)]
    public void Globs_match_names(string glob, string name, bool matches) =>
        Assert.Equal(matches, LayerPattern.GlobMatches(glob, name));

    [Fact]
    public void Selection_includes_descendants()
    {
        var names = new[] { "layer4", "layer4.0", "layer4.0.conv1", "layer40", "fc" };
        Assert.Equal(new[] { "layer4", "layer4.0", "layer4.0.conv1" }, LayerPattern.SelectGlob("layer4", names));
        Assert.Equal(new[] { "layer4.0", "layer4.0.conv1" }, LayerPattern.SelectGlob("layer4.*", names));
        Assert.Equal(new[] { "fc" }, LayerPattern.SelectRegex("f.", names));
        Assert.Null(LayerPattern.SelectRegex("(", names));
    }

    [Theory]
    [InlineData("pipelines/a.tl.yaml", "data/x.gz", "pipelines/data/x.gz")]
    [InlineData("pipelines/a.tl.yaml", "../data/x.gz", "data/x.gz")]
    [InlineData("a.tl.yaml", "./x", "x")]
    [InlineData("/repo/p/a.tl.yaml", "w/r.pth", "/repo/p/w/r.pth")]
    [InlineData("C:\\repo\\a.tl.yaml", "w\\r.pth", "C:/repo/w/r.pth")]
    [InlineData("p/a.tl.yaml", "/usr/share/x.gz", "/usr/share/x.gz")]
    [InlineData("p/a.tl.yaml", "D:/x.gz", "D:/x.gz")]
    public void Paths_resolve_against_the_pipeline_folder(string pipeline, string path, string expected) =>
        Assert.Equal(expected, PipelinePaths.Resolve(pipeline, path));
}
