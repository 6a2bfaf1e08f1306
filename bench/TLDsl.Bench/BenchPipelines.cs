using System;
using System.Globalization;
using System.IO;
using System.Linq;

namespace TLDsl.Bench;

/// <summary>What a benchmark pipeline is made of; the defaults are the ImageNet ResNet-18 on all ten Fashion-MNIST
/// classes with a 10% validation split, as the accuracy, cache and memory benchmarks train it.</summary>
internal sealed record BenchPipeline
{
    public const string FashionLabels = "[t-shirt, trouser, pullover, dress, coat, sandal, shirt, sneaker, bag, ankle_boot]";

    public string BaseModel { get; init; } = "{ model: resnet18_imagenet, weights: imagenet }";

    public int Size { get; init; } = 112;

    public string Input => $"{{ size: [{Size}, {Size}], channels: 1{(Normalize is null ? "" : ", normalize: " + Normalize)} }}";

    /// <summary>The <c>normalize</c> value, or null for the pipeline default.</summary>
    public string? Normalize { get; init; } = "weights";

    public string Labels { get; init; } = FashionLabels;

    public string Head { get; init; } = "[dropout: 0.2, linear: labels]";

    public string Freeze { get; init; } = "[backbone]";

    /// <summary>The IDX label values to keep (<c>idx.classes</c>), or null for all.</summary>
    public int[]? Classes { get; init; }

    /// <summary>The <c>data.valid</c> value, or null for none (the table sets its own validation indices).</summary>
    public string? Valid { get; init; } = "{ split: 0.1, seed: 1 }";

    public string ExtraData { get; init; } = "";

    public int Batch { get; init; } = 64;

    /// <summary>The pipeline's <c>train.seed</c> (head initialisation, shuffling, sampling).</summary>
    public int Seed { get; init; } = 42;

    public string Optimizer { get; init; } = "{ adamw: { lr: 3e-3, weight_decay: 0.01 } }";

    /// <summary>The phase list, one YAML line per phase, each indented by four spaces.</summary>
    public required string Phases { get; init; }

    /// <summary>A <c>train.recipe</c> value written instead of <see cref="Phases"/>, or null.</summary>
    public string? Recipe { get; init; }

    /// <summary>More <c>train</c> keys, each line indented by two spaces (e.g. <c>ema</c>).</summary>
    public string ExtraTrain { get; init; } = "";
}

/// <summary>Pipelines the benchmarks train, over the committed Fashion-MNIST sample (or another IDX folder).</summary>
internal static class BenchPipelines
{
    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "TLDsl.sln")))
            {
                dir = dir.Parent;
            }
            return dir?.FullName ?? Directory.GetCurrentDirectory();
        }
    }

    public static string DataFolder(string[] args)
    {
        int i = Array.IndexOf(args, "--data");
        return i >= 0 && i + 1 < args.Length ? Path.GetFullPath(args[i + 1]) : Path.Combine(RepoRoot, "samples", "fashion-mnist");
    }

    public static int Option(string[] args, string name, int fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    public static string? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    /// <summary>The four IDX files of a Fashion-MNIST folder: the sample's names or Debian's (<c>t10k-*</c>), raw or gzip.</summary>
    public static (string TrainImages, string TrainLabels, string TestImages, string TestLabels) IdxFiles(string data)
    {
        string Pick(params string[] names) =>
            names.Select(n => Path.Combine(data, n)).FirstOrDefault(File.Exists) ?? Path.Combine(data, names[0]);
        return (Pick("train-images-idx3-ubyte.gz", "train-images-idx3-ubyte"), Pick("train-labels-idx1-ubyte.gz", "train-labels-idx1-ubyte"),
            Pick("test-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte.gz", "test-images-idx3-ubyte", "t10k-images-idx3-ubyte"),
            Pick("test-labels-idx1-ubyte.gz", "t10k-labels-idx1-ubyte.gz", "test-labels-idx1-ubyte", "t10k-labels-idx1-ubyte"));
    }

    /// <summary>Writes a pipeline into a scratch folder and returns its path.</summary>
    public static string Write(string scratch, string name, string data, string phases, string freeze = "[backbone]",
        string head = "[dropout: 0.2, linear: labels]", int size = 112, string extraData = "") =>
        Write(scratch, name, data, new BenchPipeline { Phases = phases, Freeze = freeze, Head = head, Size = size, ExtraData = extraData });

    /// <summary>Writes <paramref name="p"/> over the IDX files in <paramref name="data"/> into a scratch folder and
    /// returns its path.</summary>
    public static string Write(string scratch, string name, string data, BenchPipeline p)
    {
        var (train, trainLabels, test, testLabels) = IdxFiles(data);
        string classes = p.Classes is null ? "" : $", classes: [{string.Join(", ", p.Classes)}]";
        string valid = p.Valid is null ? "" : $"\n  valid: {p.Valid}";
        string yaml = $$"""
            version: 1
            name: {{name}}
            base: {{p.BaseModel}}
            input: {{p.Input}}
            labels: {{p.Labels}}
            head: {{p.Head}}
            freeze: {{p.Freeze}}
            data:
              train: { idx: { images: "{{train}}", labels: "{{trainLabels}}"{{classes}} } }{{valid}}
              test: { idx: { images: "{{test}}", labels: "{{testLabels}}"{{classes}} } }
            {{p.ExtraData}}
            train:
              seed: {{p.Seed}}
              batch: {{p.Batch}}
              optimizer: {{p.Optimizer}}
              loss: { cross_entropy: { label_smoothing: 0.1 } }
            {{(p.Recipe is null ? "  phases:\n" + p.Phases : "  recipe: " + p.Recipe)}}
            {{p.ExtraTrain}}
              checkpoint: { keep: best }
            """;
        Directory.CreateDirectory(scratch);
        string path = Path.Combine(scratch, name + ".tl.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }
}
