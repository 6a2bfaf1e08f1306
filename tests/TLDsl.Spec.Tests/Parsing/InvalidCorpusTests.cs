using System;
using System.IO;
using System.Linq;
using TLDsl.Spec.Parsing;
using TLDsl.Spec.Tests.Support;

namespace TLDsl.Spec.Tests.Parsing;

/// <summary>
/// Snapshot tests in Verify's naming convention: Invalid/name.tl.yaml has its formatted diagnostics in
/// Invalid/name.verified.txt. A mismatch writes name.received.txt and fails; TLDSL_ACCEPT=1 accepts.
/// </summary>
public class InvalidCorpusTests
{
    private static string Folder => RepoPaths.Combine("tests", "TLDsl.Spec.Tests", "Invalid");

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(Folder, "*.tl.yaml").OrderBy(f => f, StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(file).Replace(".tl.yaml", string.Empty, StringComparison.Ordinal));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Diagnostics_match_the_baseline(string name)
    {
        var yaml = File.ReadAllText(Path.Combine(Folder, name + ".tl.yaml"));
        var result = PipelineParser.Parse(yaml, "Invalid/" + name + ".tl.yaml");
        Assert.Null(result.Spec);
        var received = string.Concat(result.Diagnostics.Select(d => d.Format() + "\n"));
        Snapshot.Match(Path.Combine(Folder, name), received);
    }
}
