using System;
using System.IO;
using System.Linq;
using static TLDsl.Bench.TableScenario;

namespace TLDsl.Bench;

/// <summary>The table's two scenarios. Every network is trained with AdamW, label smoothing 0.1, no early stopping (fixed
/// epochs, more epochs for fewer images); the best epoch by validation accuracy (ties: lower validation loss) is tested.
/// Augmentation: from scratch flips and shifts, (e) and its ablation as <see cref="TableAblation"/> says.</summary>
internal static class TableScenarios
{
    /// <summary>S1, the seed's scenario: <c>small_cnn</c> pre-trained on Fashion-MNIST classes 0-4, transferred to 5-9.</summary>
    public const string SmallCnn = "small_cnn";

    public const string SourceLabels = "[t-shirt, trouser, pullover, dress, coat]";

    public const string TargetLabels = "[sandal, shirt, sneaker, bag, ankle_boot]";

    public static readonly int[] SourceClasses = [0, 1, 2, 3, 4];

    public static readonly int[] TargetClasses = [5, 6, 7, 8, 9];

    /// <summary>Fashion-MNIST's pixel statistics, as the example's pre-training normalises (the transfer must match).</summary>
    public const string SeedNormalize = "{ mean: [0.286], std: [0.353] }";

    /// <summary>The example that pre-trains <c>small_cnn</c> on classes 0-4, relative to the repository root.</summary>
    public const string ExampleFolder = "examples/DogsToCats";

    /// <summary>S1 over <paramref name="weights"/> (a <c>small_cnn</c> weights file pre-trained on classes 0-4).</summary>
    public static TableScenario Seed(string weights, string weightsNote) => new("s1",
        "S1, the seed's scenario: small CNN pre-trained on classes 0-4, transferred to classes 5-9",
        [
            $"Base: `{SmallCnn}` at 28x28, {weightsNote}; the transfer pipelines keep every pre-trained layer, drop only its classifier and add `dropout 0.2 + linear` for 5 labels.",
            "Data: Fashion-MNIST classes 5-9 (`idx.classes: [5, 6, 7, 8, 9]`); test: the whole test set of those classes (5,000 images).",
            "Rates (AdamW, batch 32): from scratch 3e-3 one-cycle with `flip` and `pad_crop` (4 pixels), tested with `tta: [flip]` as (e); the new head 3e-2 one-cycle (the example's rate for this head); gradual: then the last stage (`conv3`) at 3e-3 and the head at 1e-2, then also `conv2` at 3e-4 (`conv3` 1e-3), cosine.",
            "(e) `recipe: fine_tune` (the seed's method: the whole pre-trained network trained under the new last layer): the head at 1e-2 on the frozen, cached features, then every layer at 5e-3 with `lr_decay: 0.5` per stage (`conv3` 2.5e-3, `conv2` 1.3e-3, `conv1` 6e-4), `trivial_augment` + `mixup`/`cutmix` in that phase, tested with `tta: [flip]`.",
        ],
        ValidPerClass: 50, TestPerClass: null, cell =>
        {
            var (method, _, images, scale, seed) = cell;
            var common = new BenchPipeline
            {
                Size = 28, Normalize = SeedNormalize, Labels = TargetLabels, Classes = TargetClasses, Valid = null, Batch = 32, Phases = "", Seed = 42 + seed,
                // The example's rate for a linear head on these frozen features (it compared 3e-3 to 1e-1).
                Optimizer = "{ adamw: { lr: 3e-2, weight_decay: 0.01 } }",
                BaseModel = $"{{ model: {SmallCnn}, weights: \"{weights}\", drop: {Classifier(SmallCnn)} }}",
            };
            return method switch
            {
                TableMethod.Scratch => common with
                {
                    BaseModel = $"{{ model: {SmallCnn}, weights: none, drop: {Classifier(SmallCnn)} }}",
                    Freeze = "[]",
                    Optimizer = "{ adamw: { lr: 3e-3, weight_decay: 0.01 } }",
                    ExtraData = ScratchData(28),
                    Phases = $"    - {{ name: scratch, epochs: {Epochs(images, 15_000, 3, 40, scale)}, schedule: one_cycle }}",
                },
                TableMethod.Frozen => common with
                {
                    Phases = $"    - {{ name: head, epochs: {Epochs(images, 20_000, 5, 40, scale)}, schedule: one_cycle }}",
                },
                TableMethod.Gradual => common with
                {
                    Phases = GradualPhases(SmallCnn, 2, Epochs(images, 10_000, 3, 20, scale), Epochs(images, 5_000, 1, 10, scale), 3e-2),
                },
                TableMethod.FineTune => common with
                {
                    Optimizer = "{ adamw: { lr: 1e-2, weight_decay: 0.01 } }",
                    Recipe = FineTuneRecipe(Epochs(images, 10_000, 5, 30, scale), Epochs(images, 10_000, 3, 30, scale), 1e-2, 0.5),
                    ExtraData = FineTuneData(cell.Ablation),
                    ExtraTrain = FineTuneTrain(cell.Ablation),
                },
                _ => throw new ArgumentOutOfRangeException(nameof(cell), method, "S1 has no pipeline for this method"),
            };
        });

    /// <summary>The pipeline that pre-trains <c>small_cnn</c> on classes 0-4 when the example's weights are absent.</summary>
    public static BenchPipeline SeedPretraining(int epochs) => new()
    {
        BaseModel = $"{{ model: {SmallCnn}, weights: none, drop: {Classifier(SmallCnn)} }}",
        Size = 28, Normalize = SeedNormalize, Labels = SourceLabels, Classes = SourceClasses, Freeze = "[]", Batch = 64,
        Valid = "{ split: 0.05, seed: 1 }",
        Phases = $"    - {{ name: pretrain, epochs: {epochs}, schedule: one_cycle }}",
    };

    /// <summary>The example's committed weights (<c>pretrained/*.safetensors</c> or another weights file), if present.</summary>
    public static string? ExampleWeights()
    {
        string folder = Path.Combine(BenchPipelines.RepoRoot, ExampleFolder);
        string[] kinds = [".safetensors", ".dat", ".pt", ".pth"];
        return Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
                .Where(f => kinds.Any(k => f.EndsWith(k, StringComparison.Ordinal)))
                .Select(f => Path.GetRelativePath(folder, f).Replace('\\', '/'))
                .Where(f => !f.StartsWith("bin/", StringComparison.Ordinal) && !f.StartsWith("obj/", StringComparison.Ordinal) && !f.StartsWith("runs/", StringComparison.Ordinal))
                .OrderBy(f => f.StartsWith("pretrained/", StringComparison.Ordinal) ? 0 : 1).ThenBy(f => f, StringComparer.Ordinal)
                .Select(f => Path.Combine(folder, f)).FirstOrDefault()
            : null;
    }

    /// <summary>The example's pre-training pipeline, if present: the harness runs it when the weights are not committed.</summary>
    public static string? ExamplePretraining() =>
        Path.Combine(BenchPipelines.RepoRoot, ExampleFolder, "pipelines", "pretrain.tl.yaml") is var p && File.Exists(p) ? p : null;

    /// <summary>S2: the offline ImageNet ResNet-18 on all ten classes at <paramref name="size"/> pixels; from scratch is
    /// torchvision's <c>resnet18</c> (blocks [2,2,2,2]; the ImageNet one has [2,2,2,3]).</summary>
    public static TableScenario ImageNet(int size, int testPerClass) => new("s2",
        "S2: ImageNet ResNet-18 -> Fashion-MNIST (10 classes)",
        [
            $"Base: the offline ImageNet ResNet-18 (`resnet18_imagenet`, weights `imagenet`, headless) at {size}x{size} (grayscale repeated to 3 channels); from scratch: `resnet18`, weights `none`, `fc` dropped, at the same size; head `dropout 0.2 + linear`.",
            $"Rates (AdamW): from scratch 2e-3 one-cycle, batch 64, with `flip` and `pad_crop` ({Math.Max(1, size / 7)} pixels), tested with `tta: [flip]` as (e); the new head 3e-3 one-cycle, batch 64 (as the quickstart); gradual: then `layer4` at 3e-4 and the head at 1e-3, cosine.",
            "(e) `recipe: fine_tune`, batch 32: the head at 2e-3 on the frozen, cached features, then every layer at 1e-3 with `lr_decay: 0.4` per stage (`layer4` 4e-4 ... `conv1` 1e-5), `trivial_augment` + `mixup`/`cutmix` in that phase, tested with `tta: [flip]`.",
            $"Test: a fixed stratified subset of the test set, {testPerClass} per class ({testPerClass * 10:N0} images), to bound the cost of evaluating the network at every size.",
        ],
        ValidPerClass: 20, TestPerClass: testPerClass, cell =>
        {
            var (method, _, images, scale, seed) = cell;
            var common = new BenchPipeline { Size = size, Valid = null, Batch = 64, Phases = "", Seed = 42 + seed };
            return method switch
            {
                TableMethod.Scratch => common with
                {
                    BaseModel = $"{{ model: resnet18, weights: none, drop: {Classifier("resnet18")} }}",
                    Normalize = null,
                    Freeze = "[]",
                    Optimizer = "{ adamw: { lr: 2e-3, weight_decay: 0.01 } }",
                    ExtraData = ScratchData(size),
                    Phases = $"    - {{ name: scratch, epochs: {Epochs(images, 6_000, 2, 30, scale)}, schedule: one_cycle }}",
                },
                TableMethod.Frozen => common with
                {
                    Phases = $"    - {{ name: head, epochs: {Epochs(images, 20_000, 5, 60, scale)}, schedule: one_cycle }}",
                },
                TableMethod.Gradual => common with
                {
                    Phases = GradualPhases("resnet18_imagenet", 1, Epochs(images, 10_000, 3, 30, scale), Epochs(images, 2_000, 1, 20, scale), 3e-3),
                },
                TableMethod.FineTune => common with
                {
                    Batch = 32,
                    Optimizer = "{ adamw: { lr: 2e-3, weight_decay: 0.01 } }",
                    Recipe = FineTuneRecipe(Epochs(images, 10_000, 5, 40, scale), Epochs(images, 4_000, 2, 20, scale), 2e-3, 0.4),
                    ExtraData = FineTuneData(cell.Ablation),
                    ExtraTrain = FineTuneTrain(cell.Ablation),
                },
                _ => throw new ArgumentOutOfRangeException(nameof(cell), method, "S2 has no pipeline for this method"),
            };
        });
}
