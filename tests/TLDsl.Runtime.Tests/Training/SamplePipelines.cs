using System;
using System.IO;
using System.Linq;

namespace TLDsl.Runtime.Tests.Training;

/// <summary>Small real pipelines over the committed Fashion-MNIST sample, written to a temporary folder.</summary>
internal sealed class SamplePipelines : IDisposable
{
    public SamplePipelines() => Folder = Directory.CreateTempSubdirectory("tldsl-train").FullName;

    public string Folder { get; }

    public string Runs => Path.Combine(Folder, "runs");

    public void Dispose() => Directory.Delete(Folder, recursive: true);

    private static string Sample(string file) => RepoPaths.Get("samples", "fashion-mnist", file).Replace('\\', '/');

    /// <summary>The ImageNet ResNet-18, frozen, a small head; <paramref name="phases"/> and <paramref name="extra"/> are YAML.</summary>
    public string Write(string name, string phases, string head = "[dropout: 0.3, linear: 32, relu, linear: labels]", string extra = "",
        int size = 32, int perClass = 12, string optimizer = "{ adamw: { lr: 3e-3, weight_decay: 0.01 } }", string augment = "[]")
    {
        string yaml = $$"""
            version: 1
            name: {{name}}
            base: { model: resnet18_imagenet, weights: imagenet }
            input: { size: [{{size}}, {{size}}], channels: 1, normalize: weights }
            labels: [t-shirt, trouser, pullover, dress, coat, sandal, shirt, sneaker, bag, ankle_boot]
            head: {{head}}
            freeze:
              - backbone
            data:
              train: { idx: { images: "{{Sample("train-images-idx3-ubyte.gz")}}", labels: "{{Sample("train-labels-idx1-ubyte.gz")}}" } }
              valid: { split: 0.25, seed: 3 }
              test: { idx: { images: "{{Sample("test-images-idx3-ubyte.gz")}}", labels: "{{Sample("test-labels-idx1-ubyte.gz")}}" } }
              limit_per_class: {{perClass}}
              augment: {{augment}}
            train:
              seed: 7
              batch: 16
              optimizer: {{optimizer}}
              phases:
            {{Indent(phases)}}
            {{Indent(extra, 2)}}
            """;
        string path = Path.Combine(Folder, name + ".tl.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    private static string Indent(string text, int spaces = 4)
    {
        string pad = new(' ', spaces);
        return string.Join("\n", text.Split('\n').Select(l => l.Length == 0 ? l : pad + l));
    }
}
