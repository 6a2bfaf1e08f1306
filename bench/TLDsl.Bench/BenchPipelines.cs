using System;
using System.Globalization;
using System.IO;

namespace TLDsl.Bench;

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

    /// <summary>Writes a pipeline into a scratch folder and returns its path.</summary>
    public static string Write(string scratch, string name, string data, string phases, string freeze = "[backbone]",
        string head = "[dropout: 0.2, linear: labels]", int size = 112, string extraData = "")
    {
        string train = Path.Combine(data, File.Exists(Path.Combine(data, "train-images-idx3-ubyte.gz")) ? "train-images-idx3-ubyte.gz" : "train-images-idx3-ubyte");
        string trainLabels = Path.Combine(data, File.Exists(Path.Combine(data, "train-labels-idx1-ubyte.gz")) ? "train-labels-idx1-ubyte.gz" : "train-labels-idx1-ubyte");
        string test = Path.Combine(data, File.Exists(Path.Combine(data, "test-images-idx3-ubyte.gz")) ? "test-images-idx3-ubyte.gz" : "t10k-images-idx3-ubyte.gz");
        string testLabels = Path.Combine(data, File.Exists(Path.Combine(data, "test-labels-idx1-ubyte.gz")) ? "test-labels-idx1-ubyte.gz" : "t10k-labels-idx1-ubyte.gz");
        string yaml = $$"""
            version: 1
            name: {{name}}
            base: { model: resnet18_imagenet, weights: imagenet }
            input: { size: [{{size}}, {{size}}], channels: 1, normalize: weights }
            labels: [t-shirt, trouser, pullover, dress, coat, sandal, shirt, sneaker, bag, ankle_boot]
            head: {{head}}
            freeze: {{freeze}}
            data:
              train: { idx: { images: "{{train}}", labels: "{{trainLabels}}" } }
              valid: { split: 0.1, seed: 1 }
              test: { idx: { images: "{{test}}", labels: "{{testLabels}}" } }
            {{extraData}}
            train:
              seed: 42
              batch: 64
              optimizer: { adamw: { lr: 3e-3, weight_decay: 0.01 } }
              loss: { cross_entropy: { label_smoothing: 0.1 } }
              phases:
            {{phases}}
              checkpoint: { keep: best }
            """;
        Directory.CreateDirectory(scratch);
        string path = Path.Combine(scratch, name + ".tl.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }
}
