using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using TLDsl.Spec.Diagnostics;
using TLDsl.Spec.Tests.Support;

namespace TLDsl.Spec.Tests.Diagnostics;

public class DiagnosticDocsTests
{
    private static string Docs => File.ReadAllText(RepoPaths.Combine("docs", "diagnostics.md"));

    [Fact]
    public void Every_id_has_an_anchor_and_a_heading_with_its_title()
    {
        var docs = Docs;
        var missing = DiagnosticDescriptors.All
            .Where(d => !docs.Contains("<a id=\"" + d.Id.ToLowerInvariant() + "\"></a>\n## " + d.Id + ": " + d.Title + "\n", System.StringComparison.Ordinal))
            .Select(d => d.Id)
            .ToArray();
        Assert.True(missing.Length == 0, "docs/diagnostics.md lacks an entry (anchor + '## ID: Title') for: " + string.Join(", ", missing));
    }

    [Fact]
    public void Docs_name_no_unknown_ids_and_help_links_point_at_the_anchors()
    {
        var known = DiagnosticDescriptors.All.Select(d => d.Id).ToHashSet();
        var documented = Regex.Matches(Docs, "<a id=\"(tld\\d{4})\"></a>").Select(m => m.Groups[1].Value.ToUpperInvariant()).ToArray();
        Assert.Equal(documented.Distinct().Count(), documented.Length);
        Assert.All(documented, id => Assert.Contains(id, known));
        Assert.All(DiagnosticDescriptors.All, d => Assert.Equal("docs/diagnostics.md#" + d.Id.ToLowerInvariant(), d.HelpLink));
    }

    [Fact]
    public void Documented_message_formats_match_the_catalogue()
    {
        var docs = Docs;
        var stale = DiagnosticDescriptors.All
            .Where(d => !docs.Contains("Message: `" + d.MessageFormat + "`", System.StringComparison.Ordinal))
            .Select(d => d.Id)
            .ToArray();
        Assert.True(stale.Length == 0, "docs/diagnostics.md shows an outdated message format for: " + string.Join(", ", stale));
    }

    [Fact]
    public void Ids_are_unique_and_sequential()
    {
        var ids = DiagnosticDescriptors.All.Select(d => d.Id).ToArray();
        Assert.Equal(Enumerable.Range(1, ids.Length).Select(i => "TLD" + i.ToString("D4", System.Globalization.CultureInfo.InvariantCulture)), ids);
    }
}
