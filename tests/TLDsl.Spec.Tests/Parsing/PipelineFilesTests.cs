using System.IO;
using System.Linq;
using TLDsl.Spec.Parsing;
using TLDsl.Spec.Tests.Support;

namespace TLDsl.Spec.Tests.Parsing;

public class PipelineFilesTests
{
    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        foreach (var file in RepoPaths.Pipelines())
        {
            data.Add(Path.GetFileName(file));
        }

        return data;
    }

    [Fact]
    public void There_are_example_pipelines()
    {
        var names = RepoPaths.Pipelines().Select(Path.GetFileName).ToArray();
        Assert.Contains("quickstart.tl.yaml", names);
        Assert.Contains("gradual-unfreezing.tl.yaml", names);
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Pipeline_validates_without_errors_or_warnings(string name)
    {
        var path = RepoPaths.Combine("pipelines", name);
        var result = PipelineParser.Parse(File.ReadAllText(path), "pipelines/" + name);
        Assert.True(result.Spec is not null && result.Diagnostics.All(d => d.Severity == TLDsl.Spec.Diagnostics.SpecDiagnosticSeverity.Info), Parse.Format(result));
    }
}
