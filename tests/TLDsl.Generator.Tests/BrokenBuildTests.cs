using System;
using System.Diagnostics;
using System.IO;
using System.Linq;

namespace TLDsl.Generator.Tests;

/// <summary>A copy of the example with a broken pipeline fails <c>dotnet build</c> with the TLD id at the YAML line and column.</summary>
public sealed class BrokenBuildTests
{
    [Fact]
    public async System.Threading.Tasks.Task Dotnet_build_reports_the_error_at_the_yaml_line_and_column()
    {
        string root = GeneratorHarness.RepoRoot;
        string example = Path.Combine(root, "examples", "QuickstartConsole");
        string temp = Path.Combine(Path.GetTempPath(), "tldsl-broken-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(temp, "pipelines"));
        try
        {
            foreach (var file in new[] { "Program.cs", "ShapesPipeline.cs" })
            {
                File.Copy(Path.Combine(example, file), Path.Combine(temp, file));
            }
            string project = File.ReadAllText(Path.Combine(example, "QuickstartConsole.csproj"))
                .Replace("../../src/", Path.Combine(root, "src") + "/", StringComparison.Ordinal);
            File.WriteAllText(Path.Combine(temp, "QuickstartConsole.csproj"), project);
            File.WriteAllText(Path.Combine(temp, "Directory.Packages.props"), File.ReadAllText(Path.Combine(root, "Directory.Packages.props")));
            string yaml = File.ReadAllText(Path.Combine(example, "pipelines", "quickstart.tl.yaml"))
                .Replace("  batch: 64", "  batchh: 64", StringComparison.Ordinal);
            File.WriteAllText(Path.Combine(temp, "pipelines", "quickstart.tl.yaml"), yaml);
            var lines = yaml.Split('\n');
            int line = Array.FindIndex(lines, l => l.Contains("batchh", StringComparison.Ordinal)) + 1;
            int column = lines[line - 1].IndexOf("batchh", StringComparison.Ordinal) + 1;

            var start = new ProcessStartInfo("dotnet", "build -nologo -v:q -p:TreatWarningsAsErrors=true")
            {
                WorkingDirectory = temp,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var process = Process.Start(start)!;
            var stderr = process.StandardError.ReadToEndAsync();
            string output = await process.StandardOutput.ReadToEndAsync() + await stderr;
            Assert.True(process.WaitForExit(TimeSpan.FromMinutes(8)), "build timed out");
            Assert.NotEqual(0, process.ExitCode);
            string expected = $"quickstart.tl.yaml({line},{column}): error TLD0004";
            Assert.True(output.Contains(expected, StringComparison.Ordinal), $"'{expected}' not in:\n{output}");
        }
        finally
        {
            try { Directory.Delete(temp, true); } catch (IOException) { }
        }
    }
}
