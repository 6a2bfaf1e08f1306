using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using TLDsl.Runtime.Data;
using TLDsl.Runtime.Models;
using TLDsl.Runtime.Pipelines;
using TLDsl.Runtime.Surgery;
using TLDsl.Runtime.Weights;
using TLDsl.Spec.Registries;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Tests.Models;

public sealed class SmallCnnTests
{
    private const string Pipeline = """
        version: 1
        base: { model: small_cnn, weights: none, drop: classifier }
        input: { channels: 1, normalize: { mean: [0.286], std: [0.353] } }
        labels: [a, b, c]
        head: [linear: labels]
        train: { phases: [{ epochs: 1 }] }
        """;

    [Fact]
    public void Small_cnn_takes_one_channel_and_the_pipeline_feeds_it_one()
    {
        var architecture = ModelZoo.Get("small_cnn");
        Assert.Equal(1, architecture.InputChannels);
        using var module = architecture.Create();
        Assert.Equal(94_186, module.parameters().Sum(p => p.numel()));

        var spec = PipelineFile.Parse(Pipeline, Path.Combine(Path.GetTempPath(), "small.tl.yaml")).Spec;
        var preprocessor = PipelineInterpreter.Preprocessor(spec, withAugmentation: false);
        Assert.Equal(1, preprocessor.Channels);
        var source = new FakeSource();
        using var scope = NewDisposeScope();
        var batch = preprocessor.Batch(source, [0, 1], train: false, seed: 0, epoch: 0);
        Assert.Equal(new long[] { 2, 1, 28, 28 }, batch.shape);
        // Normalised with Fashion-MNIST's statistics: a pixel of 0.5 (gray weights sum to 1 within 1e-4) becomes (0.5 - 0.286) / 0.353.
        Assert.Equal((0.5f - 0.286f) / 0.353f, batch[0, 0, 0, 0].item<float>(), 3);
    }

    [Fact]
    public void A_file_written_by_export_is_a_base_model_whose_old_head_is_skipped()
    {
        string folder = Directory.CreateTempSubdirectory("tldsl-smallcnn").FullName;
        try
        {
            manual_seed(5);
            using var pretrained = TransferModelBuilder.Build(Plan(WeightsSource.None, 5));
            string file = Path.Combine(folder, "model.safetensors");
            var state = pretrained.state_dict();
            Assert.Contains("head.0.weight", state.Keys); // what tldsl export writes: base keys plus head.N
            Safetensors.SaveStateDict(file, state);

            using var reused = TransferModelBuilder.Build(Plan(new FileWeightsSource(file), 3));
            var loaded = reused.state_dict();
            Assert.Equal(state["conv3.weight"].data<float>().ToArray(), loaded["conv3.weight"].data<float>().ToArray());
            Assert.Equal(new long[] { 3, 128 }, loaded["head.0.weight"].shape);

            // Other unknown keys still fail the strict load.
            state["conv9.weight"] = zeros(2);
            Safetensors.SaveStateDict(file, state);
            var e = Assert.Throws<WeightsLoadException>(() => TransferModelBuilder.Build(Plan(new FileWeightsSource(file), 3)));
            Assert.Contains("not in the model: conv9.weight", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static TransferModelPlan Plan(WeightsSource weights, int classes) =>
        new(ModelZoo.Get("small_cnn"), weights, ["classifier"], null, [new HeadLayer(HeadLayerKind.Linear, classes)], [], (28, 28));

    private sealed class FakeSource : IImageSource
    {
        public int Count => 2;

        public IReadOnlyList<string> Labels => ["a", "b", "c"];

        public int LabelOf(int index) => index;

        public string NameOf(int index) => "image" + index;

        // Colour input: the preprocessor turns it to gray for a 1-channel model (0.5 stays 0.5).
        public DecodedImage Decode(int index) => new(Enumerable.Repeat(0.5f, 3 * 28 * 28).ToArray(), 3, 28, 28);
    }
}
