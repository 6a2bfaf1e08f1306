using System;
using System.IO;
using System.Linq;
using static TLDsl.Bench.TableScenario;

namespace TLDsl.Bench;

/// <summary>The table's two scenarios. Every network is trained with AdamW, label smoothing 0.1, no augmentation, no
/// early stopping (fixed epochs, more epochs for fewer images), the best epoch by validation accuracy is tested.</summary>
internal static class TableScenarios
{
    /// <summary>S1, the seed's scenario: <c>small_cnn</c> pre-trained on Fashion-MNIST classes 0-4, transferred to 5-9.</summary>
    public const string SmallCnn = "small_cnn";

    public const string SourceLabels = "[t-shirt, trouser, pullover, dress, coat]";

    public const string TargetLabels = "[sandal, shirt, sneaker, bag, ankle_boot]";

    public static readonly int[] SourceClasses = [0, 1, 2, 3, 4];

    public static readonly int[] TargetClasses = [5, 6, 7, 8, 9];

    /// <summary>S1 over <paramref name="weights"/> (a <c>small_cnn</c> weights file pre-trained on classes 0-4).</summary>
    public static TableScenario Seed(string weights, string weightsNote) => new("s1",
        "S1, the seed's scenario: small CNN pre-trained on classes 0-4, transferred to classes 5-9",
        [
            $"Base: `{SmallCnn}` at 28x28, {weightsNote}; the transfer pipelines drop its classifier and add `dropout 0.2 + linear` for 5 labels.",
            "Data: Fashion-MNIST classes 5-9 (`idx.classes: [5, 6, 7, 8, 9]`); test: the whole test set of those classes (5,000 images).",
        ],
        ValidPerClass: 50, TestPerClass: null, (method, images, scale) =>
        {
            var common = new BenchPipeline
            {
                Size = 28, Normalize = null, Labels = TargetLabels, Classes = TargetClasses, Valid = null, Batch = 64, Phases = "",
                BaseModel = $"{{ model: {SmallCnn}, weights: \"{weights}\", drop: {Classifier(SmallCnn)} }}",
            };
            return method switch
            {
                TableMethod.Scratch => common with
                {
                    BaseModel = $"{{ model: {SmallCnn}, weights: none, drop: {Classifier(SmallCnn)} }}",
                    Freeze = "[]",
                    Optimizer = "{ adamw: { lr: 3e-3, weight_decay: 0.01 } }",
                    Phases = $"    - {{ name: scratch, epochs: {Epochs(images, 60_000, 10, 60, scale)}, schedule: one_cycle }}",
                },
                TableMethod.Frozen => common with
                {
                    Phases = $"    - {{ name: head, epochs: {Epochs(images, 60_000, 10, 60, scale)}, schedule: one_cycle }}",
                },
                _ => common with
                {
                    Phases = GradualPhases(SmallCnn, 2, Epochs(images, 30_000, 5, 30, scale), Epochs(images, 15_000, 3, 15, scale), 3e-3),
                },
            };
        });

    /// <summary>The pipeline that pre-trains <c>small_cnn</c> on classes 0-4 when the example's weights are absent.</summary>
    public static BenchPipeline SeedPretraining(int epochs) => new()
    {
        BaseModel = $"{{ model: {SmallCnn}, weights: none, drop: {Classifier(SmallCnn)} }}",
        Size = 28, Normalize = null, Labels = SourceLabels, Classes = SourceClasses, Freeze = "[]", Batch = 64,
        Valid = "{ split: 0.05, seed: 1 }",
        Phases = $"    - {{ name: pretrain, epochs: {epochs}, schedule: one_cycle }}",
    };

    /// <summary>The committed weights of the example that pre-trains <c>small_cnn</c> on classes 0-4, if present.</summary>
    public static string? ExampleWeights()
    {
        string folder = Path.Combine(BenchPipelines.RepoRoot, "examples", "DogsToCats");
        return Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
                .Where(f => f.EndsWith(".dat", StringComparison.Ordinal) || f.EndsWith(".safetensors", StringComparison.Ordinal)
                    || f.EndsWith(".pt", StringComparison.Ordinal) || f.EndsWith(".pth", StringComparison.Ordinal))
                .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                    && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
                .Order(StringComparer.Ordinal).FirstOrDefault()
            : null;
    }

    /// <summary>S2: the offline ImageNet ResNet-18 on all ten classes at <paramref name="size"/> pixels; from scratch is
    /// torchvision's <c>resnet18</c> (blocks [2,2,2,2]; the ImageNet one has [2,2,2,3]).</summary>
    public static TableScenario ImageNet(int size, int testPerClass) => new("s2",
        "S2: ImageNet ResNet-18 -> Fashion-MNIST (10 classes)",
        [
            $"Base: the offline ImageNet ResNet-18 (`resnet18_imagenet`, weights `imagenet`, headless) at {size}x{size} (grayscale repeated to 3 channels); from scratch: `resnet18`, weights `none`, `fc` dropped; head `dropout 0.2 + linear`.",
            $"Test: a fixed stratified subset of the test set, {testPerClass} per class ({testPerClass * 10:N0} images), to bound the cost of evaluating the network at every size.",
        ],
        ValidPerClass: 30, TestPerClass: testPerClass, (method, images, scale) =>
        {
            var common = new BenchPipeline { Size = size, Valid = null, Batch = 64, Phases = "" };
            return method switch
            {
                TableMethod.Scratch => common with
                {
                    BaseModel = $"{{ model: resnet18, weights: none, drop: {Classifier("resnet18")} }}",
                    Normalize = null,
                    Freeze = "[]",
                    Optimizer = "{ adamw: { lr: 2e-3, weight_decay: 0.01 } }",
                    Phases = $"    - {{ name: scratch, epochs: {Epochs(images, 3_000, 3, 30, scale)}, schedule: one_cycle }}",
                },
                TableMethod.Frozen => common with
                {
                    Phases = $"    - {{ name: head, epochs: {Epochs(images, 60_000, 10, 60, scale)}, schedule: one_cycle }}",
                },
                _ => common with
                {
                    Phases = GradualPhases("resnet18_imagenet", 1, Epochs(images, 30_000, 5, 30, scale), Epochs(images, 2_000, 2, 20, scale), 3e-3),
                },
            };
        });
}
