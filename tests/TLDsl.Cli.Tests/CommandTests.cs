using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using TLDsl.Spec.Parsing;

namespace TLDsl.Cli.Tests;

/// <summary>The verbs that need no training, run as a user would run them.</summary>
public sealed class CommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("tldsl-cli").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static Task<CliResult> Tldsl(params string[] args) => CliProcess.RunAsync(null, args);

    private static void AssertNoStackTrace(CliResult r)
    {
        Assert.DoesNotContain("   at ", r.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception:", r.Stderr, StringComparison.Ordinal);
    }

    private string InvalidPipeline()
    {
        string path = Path.Combine(_folder, "broken.tl.yaml");
        File.WriteAllText(path, File.ReadAllText(TestFiles.TinyPipeline(_folder)).Replace("weights: imagenet", "weigths: imagenet", StringComparison.Ordinal)
            .Replace("batch: 16", "batch: -3", StringComparison.Ordinal));
        return path;
    }

    [Fact]
    public async Task Validate_accepts_a_valid_pipeline()
    {
        string path = TestFiles.TinyPipeline(_folder);
        var r = await Tldsl("validate", path);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("1 pipeline file(s) checked: 0 error(s), 0 warning(s).", r.Stdout.Trim());
    }

    [Fact]
    public async Task Validate_prints_the_builds_diagnostics_exactly_and_exits_1()
    {
        string path = InvalidPipeline();
        var expected = PipelineParser.Parse(File.ReadAllText(path), path).Diagnostics.Select(d => d.Format()).ToArray();
        Assert.Contains(expected, line => line.Contains(": error TLD", StringComparison.Ordinal));

        var r = await Tldsl("validate", path);

        Assert.Equal(1, r.ExitCode);
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();
        Assert.Equal(expected, lines[..^1]);
        Assert.Matches(@"^1 pipeline file\(s\) checked: [1-9]\d* error\(s\)", lines[^1]);
        Assert.All(lines[..^1], l => Assert.Matches(@"^.+broken\.tl\.yaml\(\d+,\d+\): (error|warning|info) TLD\d{4}: .+", l));
        AssertNoStackTrace(r);
    }

    [Fact]
    public async Task Validate_json_lists_files_and_diagnostics()
    {
        string good = TestFiles.TinyPipeline(_folder);
        string bad = InvalidPipeline();
        var r = await Tldsl("validate", _folder, "--format", "json");

        Assert.Equal(1, r.ExitCode);
        var root = JsonDocument.Parse(r.Stdout).RootElement;
        var files = root.GetProperty("files").EnumerateArray().ToArray();
        Assert.Equal(new[] { good, bad }, files.Select(f => f.GetProperty("path").GetString())); // ordinal order: 'T' < 'b'
        Assert.True(files[0].GetProperty("valid").GetBoolean());
        Assert.False(files[1].GetProperty("valid").GetBoolean());
        var expected = PipelineParser.Parse(File.ReadAllText(bad), bad).Diagnostics;
        var diagnostics = files[1].GetProperty("diagnostics").EnumerateArray().ToArray();
        Assert.Equal(expected.Select(d => d.Format()), diagnostics.Select(d => d.GetProperty("text").GetString()));
        Assert.Equal(expected[0].Id, diagnostics[0].GetProperty("id").GetString());
        Assert.Equal(expected[0].Span!.StartLine, diagnostics[0].GetProperty("line").GetInt32());
        Assert.Equal(expected.Count(d => d.IsError), root.GetProperty("errors").GetInt32());
    }

    [Fact]
    public async Task Validate_of_a_missing_file_is_one_clear_error()
    {
        string missing = Path.Combine(_folder, "nope.tl.yaml");
        var r = await Tldsl("validate", missing);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal($"error: {missing}: file or folder not found.", r.Stderr.Trim());
        AssertNoStackTrace(r);
    }

    [Theory]
    [InlineData("validate")]
    [InlineData("validate", "x.tl.yaml", "--format", "xml")]
    [InlineData("frobnicate")]
    [InlineData("predict", "some-run")]
    [InlineData("inspect", "resnet18", "--size", "big")]
    public async Task Usage_errors_exit_2_with_a_hint(params string[] args)
    {
        var r = await Tldsl(args);
        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith("error: ", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("--help' for usage.", r.Stderr, StringComparison.Ordinal);
        AssertNoStackTrace(r);
    }

    [Theory]
    [InlineData("evaluate")]
    [InlineData("export")]
    [InlineData("predict")]
    public async Task An_unknown_run_is_one_clear_error(string verb)
    {
        string missing = Path.Combine(_folder, "runs", "nothing-here");
        string notARun = Directory.CreateDirectory(Path.Combine(_folder, "plain")).FullName;
        string[] extra = verb == "predict" ? [Path.Combine(_folder, "x.png")] : [];

        var r1 = await Tldsl([verb, missing, .. extra]);
        Assert.Equal(1, r1.ExitCode);
        Assert.Equal($"error: {missing}: run folder not found.", r1.Stderr.Trim());

        var r2 = await Tldsl([verb, notARun, .. extra]);
        Assert.Equal(1, r2.ExitCode);
        Assert.StartsWith($"error: {notARun}: not a TLDsl run folder", r2.Stderr, StringComparison.Ordinal);
        AssertNoStackTrace(r2);
    }

    [Fact]
    public async Task Every_verb_documents_itself()
    {
        // The verbs are read from the root help, so a new verb is covered without editing this test.
        var root = await Tldsl("--help");
        Assert.True(root.ExitCode == 0, root.ToString());
        var listed = root.Stdout[(root.Stdout.IndexOf("Commands:", StringComparison.Ordinal) + "Commands:".Length)..]
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => Regex.Match(line, @"^([a-z-]+)(?: <[^>]+>)*\s{2,}(.+)$"))
            .Where(m => m.Success)
            .ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
        Assert.Equal(["catalogue", "evaluate", "export", "info", "inspect", "lr-find", "new", "predict", "schema", "train", "validate"], listed.Keys.Order());

        foreach (var (verb, description) in listed)
        {
            var r = await Tldsl(verb, "--help");
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Contains("Usage:\n  tldsl " + verb, r.Stdout.Replace("\r", "", StringComparison.Ordinal), StringComparison.Ordinal);
            Assert.Contains(description, r.Stdout, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Schema_is_valid_json_schema()
    {
        var r = await Tldsl("schema");
        Assert.True(r.ExitCode == 0, r.ToString());
        var root = JsonDocument.Parse(r.Stdout).RootElement;
        Assert.Contains("json-schema.org", root.GetProperty("$schema").GetString(), StringComparison.Ordinal);
        Assert.True(root.TryGetProperty("properties", out var properties));
        Assert.True(properties.TryGetProperty("base", out _));
    }

    [Fact]
    public async Task Inspect_shows_the_imagenet_resnet18_tree_with_shapes_and_parameters()
    {
        var r = await Tldsl("inspect", "resnet18_imagenet");
        Assert.True(r.ExitCode == 0, r.ToString());
        var lines = r.Stdout.Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        Assert.Equal("resnet18_imagenet: input [3, 224, 224] -> output [512]", lines[0]);
        Assert.Matches(@"^conv1\s+Conv2d\s+\[64, 112, 112\]\s+9,408\s+trainable$", lines.Single(l => l.StartsWith("conv1 ", StringComparison.Ordinal)));
        Assert.Matches(@"^layer4\s+Sequential\s+\[512, 7, 7\]\s+", lines.Single(l => l.StartsWith("layer4 ", StringComparison.Ordinal)));
        Assert.Contains(lines, l => l.StartsWith("  layer4.2 ", StringComparison.Ordinal)); // three blocks in layer4
        Assert.Contains(lines, l => l.StartsWith("    layer4.2.conv2 ", StringComparison.Ordinal));
        // torchvision's ResNet-18 has 11,176,512 parameters without fc; the third layer4 block adds 4,720,640.
        Assert.Contains("parameters: 15,897,152 total, 15,897,152 trainable, 0 frozen", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Inspect_of_a_pipeline_shows_what_each_phase_trains()
    {
        string path = TestFiles.TinyPipeline(_folder);
        var r = await Tldsl("inspect", path);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("pipeline TinyFashion: base resnet18_imagenet, weights imagenet, input [3, 32, 32], 10 labels", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("dropped: (nothing)", r.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"head\.1\s+Linear\s+\[32\]\s+16,416 params", r.Stdout);
        Assert.Matches(@"head\.3\s+Linear\s+\[10\]\s+330 params", r.Stdout);
        Assert.Contains("phase 1 'head' (1 epoch):", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("  frozen:       conv1, bn1, layer1, layer2, layer3, layer4\n", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("  trained:      head\n", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("  trainable parameters: 16,746 of 15,913,898 (0.11%)", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Inspect_of_an_onnx_file_lists_inputs_outputs_opset_operators_and_initializers()
    {
        string onnx = Path.Combine(TestFiles.RepoRoot, "tests", "fixtures", "onnx", "mobilenet_v2_w035_c10_opset13.onnx");
        var r = await Tldsl("inspect", onnx);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains($"{onnx}: ONNX IR 7, opset 13, producer pytorch", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("inputs:\n  input: float [batch, 3, 64, 64]\n", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("outputs:\n  logits: float [batch, 10]\n", r.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"\n  Conv\s+52\n", r.Stdout);
        Assert.Contains("classifier.1.weight: float [10, 1280]", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Inspect_of_an_unknown_model_names_the_known_ones()
    {
        var r = await Tldsl("inspect", "resnet19");
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith("error: unknown base model 'resnet19'; known: alexnet, mobilenet_v2,", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task New_scaffolds_a_pipeline_that_validates()
    {
        string data = Path.Combine(_folder, "my-photos");
        var rng = new Random(1);
        foreach (var label in new[] { "cats", "dogs", "hamster" })
        {
            Directory.CreateDirectory(Path.Combine(data, label));
            for (int i = 0; i < 3; i++)
            {
                var pixels = new byte[8 * 8 * 3];
                rng.NextBytes(pixels);
                TestFiles.WritePng(Path.Combine(data, label, $"{i}.png"), pixels, 8, 8, 3);
            }
        }
        string output = Path.Combine(_folder, "pipelines", "photos.tl.yaml");

        var r = await Tldsl("new", "--data", data, "--model", "resnet18_imagenet", "--out", output, "--size", "64");

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.StartsWith($"wrote {output}: resnet18_imagenet, 3 labels (cats, dogs, hamster)", r.Stdout, StringComparison.Ordinal);
        string yaml = File.ReadAllText(output);
        Assert.Contains("name: MyPhotos", yaml, StringComparison.Ordinal);
        Assert.Contains("labels: [\"cats\", \"dogs\", \"hamster\"]", yaml, StringComparison.Ordinal);
        Assert.Contains("train: { folder: \"../my-photos\" }", yaml, StringComparison.Ordinal);
        var v = await Tldsl("validate", output);
        Assert.True(v.ExitCode == 0, v.ToString());
        Assert.Equal("1 pipeline file(s) checked: 0 error(s), 0 warning(s).", v.Stdout.Trim());

        var again = await Tldsl("new", "--data", data, "--model", "resnet18_imagenet", "--out", output);
        Assert.Equal(1, again.ExitCode);
        Assert.Equal($"error: {output}: already exists; pass --force to overwrite it.", again.Stderr.Trim());
    }
}
