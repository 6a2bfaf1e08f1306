using System.IO;
using System.Threading.Tasks;

namespace TLDsl.Packaging.Tests;

/// <summary><c>dotnet tool install TLDsl.Cli</c> from the feed (the per-platform package is chosen by the SDK), then
/// the installed <c>tldsl</c> on the template project's pipeline.</summary>
[Collection(PackagingGroup.Name)]
public sealed class ToolPackageTests(PackagedFeed feed)
{
    [Fact]
    public async Task The_tool_installs_from_the_feed_and_validates_the_new_project()
    {
        string tools = Path.Combine(feed.Root, "tools");
        await feed.DotnetOk(feed.Root, "tool", "install", "--tool-path", tools, "--add-source", feed.Feed, "--version", feed.Version, "TLDsl.Cli");
        string tldsl = Path.Combine(tools, "tldsl");
        Assert.True(File.Exists(tldsl));

        var info = await DotnetProcess.RunAsync(tldsl, feed.Elsewhere, feed.ChildEnvironment, "info");
        Assert.True(info.ExitCode == 0, info.ToString());
        Assert.Contains("TorchSharp", info.Output, System.StringComparison.Ordinal);

        string pipeline = Path.Combine(feed.App, "pipelines", "classifier.tl.yaml");
        var validate = await DotnetProcess.RunAsync(tldsl, feed.Elsewhere, feed.ChildEnvironment, "validate", pipeline);
        Assert.True(validate.ExitCode == 0, validate.ToString());

        // `dotnet new tldsl-pipeline` writes a pipeline the tool accepts.
        string single = Path.Combine(feed.Root, "single");
        await feed.DotnetOk(feed.Root, "new", "tldsl-pipeline", "-n", "Flowers", "--data", "../photos", "-o", single, "--debug:custom-hive", feed.Hive);
        string flowers = Path.Combine(single, "Flowers.tl.yaml");
        Assert.Contains("folder: \"../photos\"", File.ReadAllText(flowers), System.StringComparison.Ordinal);
        var validateNew = await DotnetProcess.RunAsync(tldsl, feed.Elsewhere, feed.ChildEnvironment, "validate", flowers);
        Assert.True(validateNew.ExitCode == 0, validateNew.ToString());
    }
}
