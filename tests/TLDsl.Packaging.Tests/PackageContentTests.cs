using System;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Xml.Linq;
using Xunit.Abstractions;

namespace TLDsl.Packaging.Tests;

/// <summary>What each package holds (read as a zip, like <c>unzip -l</c>) and how large it is.</summary>
[Collection(PackagingGroup.Name)]
public sealed class PackageContentTests(PackagedFeed feed, ITestOutputHelper output)
{
    /// <summary>nuget.org refuses larger packages.</summary>
    private const long GalleryLimit = 250_000_000;

    [Fact]
    public void TLDsl_carries_the_runtime_the_generator_and_the_build_props()
    {
        using var zip = ZipFile.OpenRead(feed.Package("TLDsl"));
        var entries = zip.Entries.Select(e => e.FullName).ToHashSet(StringComparer.Ordinal);
        foreach (var expected in new[]
        {
            "lib/net10.0/TLDsl.Runtime.dll", "lib/net10.0/TLDsl.Runtime.xml",
            "analyzers/dotnet/cs/TLDsl.Generator.dll", "analyzers/dotnet/cs/TLDsl.Spec.dll", "analyzers/dotnet/cs/YamlDotNet.dll",
            "buildTransitive/net10.0/TLDsl.props", "buildTransitive/net10.0/TLDsl.targets", "README.md",
        })
        {
            Assert.Contains(expected, entries);
        }
        Assert.Equal(3, entries.Count(e => e.StartsWith("analyzers/", StringComparison.Ordinal)));
        Assert.DoesNotContain(entries, e => e.Contains("CodeAnalysis", StringComparison.OrdinalIgnoreCase));

        var nuspec = Nuspec(zip);
        var ns = nuspec.Root!.Name.Namespace;
        var metadata = nuspec.Root.Element(ns + "metadata")!;
        Assert.Equal("MIT", metadata.Element(ns + "license")!.Value);
        Assert.Equal("README.md", metadata.Element(ns + "readme")!.Value);
        Assert.False(string.IsNullOrWhiteSpace(metadata.Element(ns + "description")!.Value));
        Assert.Contains("transfer-learning", metadata.Element(ns + "tags")!.Value, StringComparison.Ordinal);
        var groups = metadata.Element(ns + "dependencies")!.Elements(ns + "group").ToArray();
        Assert.Equal("net10.0", Assert.Single(groups).Attribute("targetFramework")!.Value);
        var dependencies = groups[0].Elements(ns + "dependency").ToDictionary(d => d.Attribute("id")!.Value, StringComparer.OrdinalIgnoreCase);
        // The generator's compile-time dependencies are no runtime dependency; the console UI is the CLI's.
        Assert.DoesNotContain(dependencies.Keys, id => id.StartsWith("Microsoft.CodeAnalysis", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(dependencies.Keys, id => id.StartsWith("Spectre", StringComparison.OrdinalIgnoreCase) || id == "PolySharp" || id == "Grpc.Tools");
        Assert.Equal(feed.Version, dependencies["TLDsl.Spec"].Attribute("version")!.Value);
        Assert.Contains("TorchSharp-cpu", dependencies.Keys);
        // weights: imagenet: of the package with ResNet18.onnx only the build props (which copy it to the output) flow on.
        var excluded = dependencies["Microsoft.ML.DnnImageFeaturizer.ResNet18"].Attribute("exclude")!.Value.Split(',');
        Assert.Contains("Compile", excluded);
        Assert.Contains("Runtime", excluded);
        Assert.DoesNotContain("Build", excluded);
        Assert.True(File.Exists(Path.Combine(feed.Feed, $"TLDsl.{feed.Version}.snupkg")));
    }

    [Fact]
    public void The_tool_is_one_package_per_platform_behind_a_pointer_package()
    {
        // The project declares the three platforms TorchSharp-cpu ships libtorch for; the feed has this machine's.
        string project = File.ReadAllText(Path.Combine(TLDsl.Tests.Shared.RepositoryRoot.Folder, "src", "TLDsl.Cli", "TLDsl.Cli.csproj"));
        Assert.Contains("<ToolPackageRuntimeIdentifiers>linux-x64;win-x64;osx-arm64</ToolPackageRuntimeIdentifiers>", project, StringComparison.Ordinal);
        string rid = PackagedFeed.HostRid;
        using var pointer = ZipFile.OpenRead(feed.Package("TLDsl.Cli"));
        Assert.True(new FileInfo(feed.Package("TLDsl.Cli")).Length < 1024 * 1024);
        var settings = pointer.Entries.Single(e => e.FullName.EndsWith("DotnetToolSettings.xml", StringComparison.Ordinal));
        using (var reader = new StreamReader(settings.Open()))
        {
            Assert.Contains($"\"{rid}\"", reader.ReadToEnd(), StringComparison.Ordinal);
        }
        Assert.DoesNotContain(pointer.Entries, e => e.FullName.EndsWith(".dll", StringComparison.Ordinal) && e.FullName.Contains("torch", StringComparison.OrdinalIgnoreCase));

        using var platform = ZipFile.OpenRead(feed.Package("TLDsl.Cli." + rid));
        var names = platform.Entries.Select(e => e.FullName).ToArray();
        Assert.Contains(names, n => n.EndsWith("/tldsl.dll", StringComparison.Ordinal));
        // One copy of the ImageNet ResNet-18, in the tool's folder where the runtime looks.
        Assert.Single(names, n => n.EndsWith("ResNet18.onnx", StringComparison.Ordinal));
        Assert.Contains(names, n => n.EndsWith("/DnnImageModels/ResNet18Onnx/ResNet18.onnx", StringComparison.Ordinal));
        // Only this platform's natives (libtorch), flat in the tool's folder.
        Assert.Contains(names, n => n.Contains("torch_cpu", StringComparison.Ordinal));
        Assert.DoesNotContain(names, n => n.Contains("/runtimes/", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_package_is_under_the_gallery_limit()
    {
        var packages = Directory.GetFiles(feed.Feed, "*.nupkg");
        Assert.True(packages.Length >= 5, string.Join(", ", packages.Select(Path.GetFileName)));
        foreach (var package in packages)
        {
            long size = new FileInfo(package).Length;
            output.WriteLine($"{Path.GetFileName(package)}: {size / 1e6:F1} MB");
            Assert.True(size < GalleryLimit, $"{Path.GetFileName(package)}: {size:N0} bytes");
        }
    }

    [Fact]
    public void The_templates_package_holds_both_templates()
    {
        using var zip = ZipFile.OpenRead(feed.Package("TLDsl.Templates"));
        var entries = zip.Entries.Select(e => e.FullName).ToArray();
        Assert.Contains("content/tldsl/.template.config/template.json", entries);
        Assert.Contains("content/tldsl-pipeline/.template.config/template.json", entries);
        Assert.Equal("Template", Nuspec(zip).Descendants().Single(e => e.Name.LocalName == "packageType").Attribute("name")!.Value);
    }

    private static XDocument Nuspec(ZipArchive zip)
    {
        using var stream = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open();
        return XDocument.Load(stream);
    }
}
