using TLDsl.Runtime.Pipelines;
using TLDsl.Runtime.Tests.Data;

namespace TLDsl.Runtime.Tests.Pipelines;

public sealed class DataPlanTests : System.IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private int[] TrainIndices(int seed, string limitSeed)
    {
        static string Sample(string file) => RepoPaths.Get("samples", "fashion-mnist", file).Replace('\\', '/');
        string yaml = $$"""
            version: 1
            base: { model: small_cnn, weights: none, drop: classifier }
            labels: [t-shirt, trouser, pullover, dress, coat, sandal, shirt, sneaker, bag, ankle_boot]
            head: [linear: labels]
            data:
              train: { idx: { images: "{{Sample("train-images-idx3-ubyte.gz")}}", labels: "{{Sample("train-labels-idx1-ubyte.gz")}}" } }
              limit_per_class: 5
            {{limitSeed}}
            train: { seed: {{seed}}, phases: [{ epochs: 1 }] }
            """;
        var file = PipelineFile.Parse(yaml, _dir.File("limit.tl.yaml"));
        return PipelineInterpreter.DataPlan(file, PipelineInterpreter.Labels(file)).TrainIndices;
    }

    [Fact]
    public void Limit_seed_keeps_the_images_while_train_seed_varies()
    {
        // Without limit_seed, train.seed also draws the limit_per_class subset: a seed study would change the images.
        Assert.NotEqual(TrainIndices(1, ""), TrainIndices(2, ""));
        Assert.Equal(TrainIndices(1, "  limit_seed: 9"), TrainIndices(2, "  limit_seed: 9"));
        Assert.Equal(TrainIndices(9, ""), TrainIndices(1, "  limit_seed: 9"));
        Assert.Equal(50, TrainIndices(1, "  limit_seed: 9").Length);
    }

    [Fact]
    public void Color_jitter_hue_and_vertical_flips_reach_the_preprocessor()
    {
        // The pipeline's hue was once dropped on the way to the runtime's ColorJitter (a silent 0), and flip's
        // vertical: true trained horizontal flips.
        const string yaml = """
            version: 1
            base: { model: small_cnn, weights: none, drop: classifier }
            labels: [a, b]
            head: [linear: labels]
            data:
              train: { folder: images }
              augment: [{ color_jitter: { brightness: 0.1, hue: 0.2 } }, { flip: { vertical: true, p: 0.3 } }, flip]
            train: { phases: [{ epochs: 1 }] }
            """;
        var file = PipelineFile.Parse(yaml, _dir.File("hue.tl.yaml"));
        Assert.Equal<TLDsl.Runtime.Data.Augmentation>(
            [new TLDsl.Runtime.Data.ColorJitter(0.1, 0, 0, 0.2), new TLDsl.Runtime.Data.VerticalFlip(0.3), new TLDsl.Runtime.Data.HorizontalFlip(0.5)],
            PipelineInterpreter.Preprocessor(file.Spec, withAugmentation: true).Augmentations);
    }
}
