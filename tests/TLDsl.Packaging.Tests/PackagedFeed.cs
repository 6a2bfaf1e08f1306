using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using TLDsl.Tests.Shared;

namespace TLDsl.Packaging.Tests;

/// <summary>
/// The repository packed once per test run into a temporary feed, and a project made from it by <c>dotnet new tldsl</c>
/// in a temporary folder outside the repository, with its own nuget.config. Shared by every test of the collection.
/// </summary>
/// <remarks>
/// Caches: the packages get a version no other run uses (<see cref="Version"/>) and are restored into a private
/// packages folder (<see cref="Packages"/>, deleted afterwards), so the user's NuGet cache never holds a stale TLDsl;
/// the shared cache is that folder's read-only fallback, so TorchSharp's ~600 MB of libtorch per platform is not fetched
/// again. Templates go to a private hive (<c>--debug:custom-hive</c>): the user's template list is untouched. Child builds
/// hard-link the NuGet files they copy (the libtorch natives) instead of writing a gigabyte per output folder, and run
/// without build servers, which would outlive the test and hold its output pipes.
/// </remarks>
public sealed class PackagedFeed : IDisposable
{
    /// <summary>The name of the project made by the template.</summary>
    public const string AppName = "ShapesApp";

    public PackagedFeed()
    {
        Root = Path.Combine(Path.GetTempPath(), "tldsl-packaging-" + Guid.NewGuid().ToString("N")[..10]);
        string repo = Path.GetFullPath(RepositoryRoot.Folder);
        Assert.False(Path.GetFullPath(Root).StartsWith(repo, StringComparison.Ordinal), $"the consumer folder {Root} must lie outside the repository {repo}");
        Directory.CreateDirectory(Feed);
        Directory.CreateDirectory(Elsewhere);
        string shared = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } fromEnv
            ? fromEnv
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var common = new Dictionary<string, string?>
        {
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_NOLOGO"] = "1",
            ["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1",
            ["MSBUILDDISABLENODEREUSE"] = "1",
            ["UseSharedCompilation"] = "false",
            ["CreateHardLinksForCopyLocalIfPossible"] = "true",
            ["CreateHardLinksForCopyFilesToOutputDirectoryIfPossible"] = "true",
            ["CreateHardLinksForPublishFilesIfPossible"] = "true",
        };
        // Packing the repository uses the user's NuGet setup, as its own builds do; only the consumer's restores are private.
        RepositoryEnvironment = common;
        ChildEnvironment = new Dictionary<string, string?>(common) { ["NUGET_PACKAGES"] = Packages };
        // The feed plus the sources of the user's own configuration (nuget.org here): nothing is cleared.
        File.WriteAllText(Path.Combine(Root, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="tldsl-local" value="{Feed}" />
              </packageSources>
              <fallbackPackageFolders>
                <add key="shared-cache" value="{shared}" />
              </fallbackPackageFolders>
            </configuration>
            """);
        try
        {
            Prepare().GetAwaiter().GetResult();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The temporary folder that holds everything (outside the repository).</summary>
    public string Root { get; }

    /// <summary>The local feed the packages are packed into.</summary>
    public string Feed => Path.Combine(Root, "feed");

    /// <summary>The private NuGet packages folder of the consumer's restores.</summary>
    public string Packages => Path.Combine(Root, "packages");

    /// <summary>The private template hive.</summary>
    public string Hive => Path.Combine(Root, "hive");

    /// <summary>A folder that is neither the project's nor the repository's, to start programs from.</summary>
    public string Elsewhere => Path.Combine(Root, "elsewhere");

    /// <summary>The project <c>dotnet new tldsl</c> made.</summary>
    public string App => Path.Combine(Root, AppName);

    /// <summary>The platform the tool is packed for: this machine's, among those TorchSharp-cpu ships libtorch for.</summary>
    public static string HostRid => System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier switch
    {
        var rid when rid.StartsWith("win", StringComparison.Ordinal) => "win-x64",
        var rid when rid.StartsWith("osx", StringComparison.Ordinal) => "osx-arm64",
        _ => "linux-x64",
    };

    /// <summary>The packages' version (unique to this run).</summary>
    public string Version { get; private set; } = "";

    /// <summary>The environment of the consumer's commands (restores into <see cref="Packages"/>).</summary>
    public IReadOnlyDictionary<string, string?> ChildEnvironment { get; }

    /// <summary>The first build of <see cref="App"/>.</summary>
    public ProcessResult Build { get; private set; } = null!;

    /// <summary>The package file <c>{id}.{Version}.nupkg</c> in the feed.</summary>
    public string Package(string id) => Path.Combine(Feed, $"{id}.{Version}.nupkg");

    /// <summary>The environment of commands run on the repository itself (the pack).</summary>
    public IReadOnlyDictionary<string, string?> RepositoryEnvironment { get; }

    /// <summary>Runs <c>dotnet</c> with <see cref="ChildEnvironment"/>.</summary>
    public Task<ProcessResult> Dotnet(string workingDirectory, params string[] args) => DotnetProcess.RunAsync("dotnet", workingDirectory, ChildEnvironment, args);

    /// <summary>Like <see cref="Dotnet"/>, failing the test with the output unless it exits 0.</summary>
    public async Task<ProcessResult> DotnetOk(string workingDirectory, params string[] args)
    {
        var result = await Dotnet(workingDirectory, args);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result;
    }

    private async Task Prepare()
    {
        string configuration = typeof(PackagedFeed).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "TLDsl.Packaging.Configuration").Value!;
        string prefix = Regex.Match(File.ReadAllText(Path.Combine(RepositoryRoot.Folder, "Directory.Build.props")), "<VersionPrefix>([^<]+)</VersionPrefix>").Groups[1].Value;
        Assert.False(string.IsNullOrEmpty(prefix), "Directory.Build.props should set VersionPrefix");
        Version = prefix + "-ptest." + DateTime.UtcNow.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);

        // The documented `dotnet pack TLDsl.sln`, narrowed by a solution filter to the src/ projects (every packable
        // one is packed; tests and examples need not build again), in the configuration `dotnet test` just built: up
        // to date, so only the tool's per-platform builds are new. PackageVersion (not Version) leaves the assemblies as
        // built, and --no-restore the restore `dotnet test` made.
        var projects = Directory.GetDirectories(Path.Combine(RepositoryRoot.Folder, "src"))
            .SelectMany(d => Directory.GetFiles(d, "*.csproj"))
            .Select(p => Path.GetRelativePath(RepositoryRoot.Folder, p).Replace('\\', '/')).Order(StringComparer.Ordinal).ToArray();
        string filter = Path.Combine(Root, "src.slnf");
        File.WriteAllText(filter, JsonSerializer.Serialize(new { solution = new { path = Path.Combine(RepositoryRoot.Folder, "TLDsl.sln"), projects } }));
        // The tool is packed for this machine's platform only: each platform package compresses ~0.5 GB of libtorch,
        // and the others are measured in the README, not installed here.
        var pack = await DotnetProcess.RunAsync("dotnet", RepositoryRoot.Folder, RepositoryEnvironment, "pack", filter, "-c", configuration, "--no-restore", "-o", Feed,
            "-p:PackageVersion=" + Version, "-p:ToolPackageRuntimeIdentifiers=" + HostRid);
        Assert.True(pack.ExitCode == 0, pack.ToString());

        await DotnetOk(Root, "new", "install", $"TLDsl.Templates::{Version}", "--add-source", Feed, "--debug:custom-hive", Hive);
        await DotnetOk(Root, "new", "tldsl", "-n", AppName, "-o", App, "--debug:custom-hive", Hive);
        Build = await Dotnet(App, "build");
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temporary folder is not a test failure.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

/// <summary>The tests that share one packed feed.</summary>
[CollectionDefinition(Name)]
public sealed class PackagingGroup : ICollectionFixture<PackagedFeed>
{
    public const string Name = "Packaging";
}
