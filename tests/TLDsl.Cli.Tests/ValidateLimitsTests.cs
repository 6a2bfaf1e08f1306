using System;
using System.IO;
using System.Threading.Tasks;

namespace TLDsl.Cli.Tests;

/// <summary>
/// <c>tldsl validate</c> is the one gate (issue #20): hostile files are rejected at once, with one located line, and
/// whatever it accepts the runtime can honour.
/// </summary>
public sealed class ValidateLimitsTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("tldsl-validate-limits").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static Task<CliResult> Tldsl(params string[] args) => CliProcess.RunAsync(null, args);

    [Fact]
    public async Task Validate_rejects_a_50_MB_file_naming_it_and_the_limit()
    {
        string path = Path.Combine(_folder, "huge.tl.yaml");
        using (var stream = File.Create(path))
        {
            var block = new byte[1024 * 1024];
            Array.Fill(block, (byte)'#');
            for (int i = 0; i < 50; i++)
            {
                stream.Write(block);
            }
        }

        var r = await Tldsl("validate", path);

        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains(path + "(1,1): error TLD0002: The pipeline file has more than 1000000 characters, the limit", r.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_of_an_endless_device_stops_at_the_limit()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // no /dev/zero; the 50 MB file above covers the same bounded read
        }

        var r = await Tldsl("validate", "/dev/zero");

        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains("/dev/zero(1,1): error TLD0002:", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_reads_an_onnx_layer_listing_as_training_does()
    {
        // validate gave no file reader to the parser: TLD0030 "no file reader was given" for a pipeline train accepts.
        string path = Path.Combine(TestFiles.RepoRoot, "tests", "TLDsl.Generator.Tests", "Onnx", "smallcnn.tl.yaml");
        Assert.Contains("layers:", File.ReadAllText(path), StringComparison.Ordinal);

        var r = await Tldsl("validate", path);

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.DoesNotContain("TLD0030", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_rejects_values_that_training_could_not_honour()
    {
        string path = TestFiles.TinyPipeline(_folder);
        string text = File.ReadAllText(path);
        Assert.Contains("batch: 16", text, StringComparison.Ordinal);
        File.WriteAllText(path, text.Replace("batch: 16", "batch: 2147483647", StringComparison.Ordinal));

        var r = await Tldsl("validate", path);

        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains("error TLD0008: train.batch must be an integer >= 1 and <= 65536, but is 2147483647", r.Stdout, StringComparison.Ordinal);
    }
}
