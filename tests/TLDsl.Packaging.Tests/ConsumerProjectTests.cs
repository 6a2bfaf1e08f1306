using System;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using TLDsl.Tests.Shared;

namespace TLDsl.Packaging.Tests;

/// <summary>A project made by <c>dotnet new tldsl</c> from the packed feed, outside the repository: it builds with the
/// generated types, reports pipeline mistakes at the YAML line, and trains and predicts wherever it is started.</summary>
[Collection(PackagingGroup.Name)]
public sealed class ConsumerProjectTests(PackagedFeed feed)
{
    private static readonly Regex Prediction = new(@"^prediction: (Circle|Square) \(", RegexOptions.Multiline);

    [Fact]
    public void The_template_project_builds_from_the_feed_alone()
    {
        Assert.True(feed.Build.ExitCode == 0, feed.Build.ToString());
        // No ProjectReference and no path into the repository anywhere in the project or its configuration.
        var files = Directory.GetFiles(feed.App, "*", SearchOption.AllDirectories)
            .Where(f => !IsUnder(f, Path.Combine(feed.App, "bin")) && !IsUnder(f, Path.Combine(feed.App, "obj")) && !IsUnder(f, Path.Combine(feed.App, "runs")))
            .Append(Path.Combine(feed.Root, "nuget.config"));
        foreach (var file in files.Where(f => !f.EndsWith(".png", StringComparison.Ordinal)))
        {
            string text = File.ReadAllText(file);
            Assert.DoesNotContain(RepositoryRoot.Folder.TrimEnd('/'), text, StringComparison.Ordinal);
            Assert.DoesNotContain("ProjectReference", text, StringComparison.Ordinal);
        }
        string project = File.ReadAllText(Path.Combine(feed.App, PackagedFeed.AppName + ".csproj"));
        Assert.Contains($"<PackageReference Include=\"TLDsl\" Version=\"{feed.Version}\" />", project, StringComparison.Ordinal);
        // Program.cs uses the generated model, label enum and trainer; the build resolved them from the pipeline.
        string program = File.ReadAllText(Path.Combine(feed.App, "Program.cs"));
        Assert.Contains("new ClassifierTrainer(", program, StringComparison.Ordinal);
        Assert.Contains("ClassifierLabel label", program, StringComparison.Ordinal);
        Assert.Contains("$schema=../tldsl.schema.json", File.ReadAllText(Path.Combine(feed.App, "pipelines", "classifier.tl.yaml")), StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(feed.App, "tldsl.schema.json")));
        // `weights: imagenet`: the TLDsl package's buildTransitive targets copy ResNet18.onnx to the output.
        var output = Path.Combine(feed.App, "bin", "Debug", "net10.0");
        Assert.True(File.Exists(Path.Combine(output, PackagedFeed.AppName + ".dll")));
        Assert.Equal(63_653_533, new FileInfo(Path.Combine(output, "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx")).Length);
    }

    [Fact]
    public async Task Run_trains_and_predicts_from_the_project_folder_and_from_elsewhere()
    {
        Assert.True(feed.Build.ExitCode == 0, feed.Build.ToString());
        string project = Path.Combine(feed.App, PackagedFeed.AppName + ".csproj");
        foreach (var folder in new[] { feed.App, feed.Elsewhere })
        {
            var run = await feed.DotnetOk(folder, "run", "--no-build", "--project", project);
            Assert.Matches(Prediction, run.Output);
            // Relative paths are anchored at the project, not at the working directory.
            Assert.Contains("run folder " + Path.Combine(feed.App, "runs", "Classifier"), run.Output, StringComparison.Ordinal);
        }
        Assert.False(Directory.Exists(Path.Combine(feed.Elsewhere, "runs")));
    }

    [Fact]
    public async Task The_published_output_trains_and_predicts()
    {
        Assert.True(feed.Build.ExitCode == 0, feed.Build.ToString());
        string published = Path.Combine(feed.Root, "published");
        await feed.DotnetOk(feed.App, "publish", "--no-build", "-c", "Debug", "-o", published);
        Assert.True(File.Exists(Path.Combine(published, "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx")));
        string program = Path.Combine(published, PackagedFeed.AppName + ".dll");
        var run = await DotnetProcess.RunAsync("dotnet", feed.Elsewhere, feed.ChildEnvironment, program);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Matches(Prediction, run.Output);
        Assert.Contains("run folder " + Path.Combine(feed.App, "runs"), run.Output, StringComparison.Ordinal);

        // Deployed where its project folder does not exist, it uses the pipeline and data published beside it.
        string moved = feed.App + "-moved";
        Directory.Move(feed.App, moved);
        try
        {
            var deployed = await DotnetProcess.RunAsync("dotnet", feed.Elsewhere, feed.ChildEnvironment, program);
            Assert.True(deployed.ExitCode == 0, deployed.ToString());
            Assert.Matches(Prediction, deployed.Output);
            Assert.Contains("run folder " + Path.Combine(published, "runs"), deployed.Output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Move(moved, feed.App);
        }
    }

    [Fact]
    public async Task A_key_typo_fails_the_build_at_its_yaml_line()
    {
        string broken = CopyProject("typo");
        string pipeline = Path.Combine(broken, "pipelines", "classifier.tl.yaml");
        var lines = File.ReadAllLines(pipeline);
        int index = Array.FindIndex(lines, l => l.StartsWith("  seed:", StringComparison.Ordinal));
        Assert.True(index >= 0);
        lines[index] = lines[index].Replace("seed:", "sed:", StringComparison.Ordinal);
        File.WriteAllLines(pipeline, lines);
        // A run folder keeps a copy of its pipeline; the build must not take it for a second pipeline.
        string run = Path.Combine(broken, "runs", "Classifier", "20260101-000000");
        Directory.CreateDirectory(run);
        File.Copy(pipeline, Path.Combine(run, "pipeline.tl.yaml"));

        var build = await feed.Dotnet(broken, "build");
        Assert.NotEqual(0, build.ExitCode);
        Assert.DoesNotContain("CS8785", build.Output, StringComparison.Ordinal);
        var error = Regex.Match(build.Output, @"classifier\.tl\.yaml\((\d+),(\d+)\): error (TLD\d{4}): ([^\r\n\[]*)");
        Assert.True(error.Success, build.ToString());
        Assert.Equal("TLD0004", error.Groups[3].Value);
        Assert.Equal(index + 1, int.Parse(error.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(3, int.Parse(error.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Contains("'sed'", error.Groups[4].Value, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_weights_file_and_a_taken_pipeline_name_fail_the_build_at_their_yaml_lines()
    {
        string project = CopyProject("model-files");
        string pipelines = Path.Combine(project, "pipelines");
        string original = File.ReadAllText(Path.Combine(pipelines, "classifier.tl.yaml"));
        // The template's pipeline on a weights file of the project (the props make it known; the build never reads it).
        Directory.CreateDirectory(Path.Combine(project, "models"));
        File.WriteAllBytes(Path.Combine(project, "models", "shapes.safetensors"), new byte[16]);
        string fromFile = Replace(Replace(original,
            "base: { model: resnet18_imagenet, weights: imagenet }", "base: { model: resnet18, weights: ../models/shapes.safetensors, drop: [fc] }"),
            "normalize: weights", "normalize: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] }");
        File.WriteAllText(Path.Combine(pipelines, "classifier.tl.yaml"), fromFile);
        // A second pipeline naming a file that is not there, and a copy of the first under another file name.
        string missing = Replace(Replace(fromFile, "name: Classifier", "name: Other"), "shapes.safetensors", "missing.safetensors");
        File.WriteAllText(Path.Combine(pipelines, "other.tl.yaml"), missing);
        File.WriteAllText(Path.Combine(pipelines, "copy.tl.yaml"), fromFile);

        var build = await feed.Dotnet(project, "build");
        Assert.NotEqual(0, build.ExitCode);
        Assert.DoesNotContain("CS8785", build.Output, StringComparison.Ordinal);
        var errors = Regex.Matches(build.Output, @"pipelines[/\\](\S+\.tl\.yaml)\((\d+),(\d+)\): error (TLD\d{4}): ([^\r\n\[]*)")
            .Select(m => (File: m.Groups[1].Value, Line: int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture),
                Column: int.Parse(m.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture), Id: m.Groups[4].Value, Message: m.Groups[5].Value))
            .Distinct().OrderBy(e => e.File, StringComparer.Ordinal).ToList();
        Assert.True(errors.Count == 2, build.ToString());
        int baseLine = LineOf(fromFile, "base:");
        Assert.Equal(("copy.tl.yaml", LineOf(fromFile, "name:"), 1, "TLD0042"), (errors[0].File, errors[0].Line, errors[0].Column, errors[0].Id));
        Assert.Contains("already used by pipelines/classifier.tl.yaml", errors[0].Message, StringComparison.Ordinal);
        Assert.Equal(("other.tl.yaml", baseLine, missing.Split('\n')[baseLine - 1].IndexOf("../models/missing", StringComparison.Ordinal) + 1, "TLD0041"),
            (errors[1].File, errors[1].Line, errors[1].Column, errors[1].Id));
        Assert.Contains($"no file {Path.Combine(project, "models", "missing.safetensors").Replace('\\', '/')} is part of the build", errors[1].Message, StringComparison.Ordinal);
    }

    private static string Replace(string text, string old, string replacement)
    {
        Assert.Contains(old, text, StringComparison.Ordinal);
        return text.Replace(old, replacement, StringComparison.Ordinal);
    }

    private static int LineOf(string text, string start) => Array.FindIndex(text.Split('\n'), l => l.StartsWith(start, StringComparison.Ordinal)) + 1;

    [Fact]
    public async Task An_unsupported_target_framework_gets_nugets_error()
    {
        string folder = Path.Combine(feed.Root, "OldFramework");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "OldFramework.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net8.0</TargetFramework>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="TLDsl" Version="{feed.Version}" />
              </ItemGroup>
            </Project>
            """);
        var restore = await feed.Dotnet(folder, "restore");
        Assert.NotEqual(0, restore.ExitCode);
        Assert.Contains("NU1202", restore.Output, StringComparison.Ordinal);
        Assert.Contains($"Package TLDsl {feed.Version} is not compatible with net8.0", restore.Output, StringComparison.Ordinal);
        Assert.Contains("supports: net10.0", restore.Output, StringComparison.Ordinal);
    }

    private string CopyProject(string name)
    {
        string target = Path.Combine(feed.Root, name);
        foreach (var file in Directory.GetFiles(feed.App, "*", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(feed.App, file);
            if (relative.StartsWith("bin", StringComparison.Ordinal) || relative.StartsWith("obj", StringComparison.Ordinal) || relative.StartsWith("runs", StringComparison.Ordinal))
            {
                continue;
            }
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(target, relative))!);
            File.Copy(file, Path.Combine(target, relative));
        }
        return target;
    }

    private static bool IsUnder(string path, string folder) => path.StartsWith(folder + Path.DirectorySeparatorChar, StringComparison.Ordinal);
}
