using System.Linq;
using TLDsl.Spec.Diagnostics;
using TLDsl.Spec.Parsing;

namespace TLDsl.Spec.Tests.Support;

internal static class Parse
{
    public const string File = "test.tl.yaml";

    public static PipelineParseResult Text(string yaml, PipelineParseOptions? options = null) => PipelineParser.Parse(yaml, File, options);

    public static string Format(PipelineParseResult result) => string.Join("\n", result.Diagnostics.Select(d => d.Format()));

    /// <summary>The single diagnostic with this id; fails with every diagnostic listed otherwise.</summary>
    public static SpecDiagnostic Single(PipelineParseResult result, string id)
    {
        var matches = result.Diagnostics.Where(d => d.Id == id).ToArray();
        Assert.True(matches.Length == 1, "expected exactly one " + id + ", got:\n" + Format(result));
        return matches[0];
    }
}
