using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using TLDsl.Runtime.Data;
using TLDsl.Runtime.Models;
using TLDsl.Runtime.Surgery;
using TLDsl.Runtime.Tests.Fixtures;
using TLDsl.Runtime.Weights;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Tests.Models;

/// <summary>The whole path a pipeline takes — decode the PNG, resize, normalise with the statistics bound to the
/// 'imagenet' weights, run the model built by surgery — against ONNX Runtime running the package's own
/// ResNetPreprocess.onnx + ResNet18.onnx on the same resized pixels.</summary>
public sealed class ImageNetFullPathTests
{
    private sealed class OnePhoto(string path) : IImageSource
    {
        public int Count => 1;

        public IReadOnlyList<string> Labels { get; } = ["photo"];

        public int LabelOf(int index) => 0;

        public string NameOf(int index) => path;

        public DecodedImage Decode(int index) => ImageDecoder.Decode(path);
    }

    [Fact]
    public void Features_through_decode_resize_and_bound_normalisation_match_onnx_runtime()
    {
        var photo = new OnePhoto(FixturePaths.Get("images", "chelsea.png"));
        var architecture = ModelZoo.Get("resnet18_imagenet");

        // The same resized pixels for both sides: the preprocessor with an identity normalisation gives RGB in [0, 1].
        var identity = new ImagePreprocessor((224, 224), 3, new MeanStdNormalization([0f, 0f, 0f], [1f, 1f, 1f]), []);
        using var rgb = identity.Batch(photo, [0], train: false, seed: 0, epoch: 0) * 255;
        float[] expected = OnnxRuntimeFeatures(rgb.contiguous().data<float>().ToArray());

        var bound = new ImagePreprocessor((224, 224), 3, architecture.NormalizationFor("imagenet"), []);
        manual_seed(0);
        using var model = TransferModelBuilder.Build(new TransferModelPlan(architecture, new NamedWeightsSource("imagenet"), [], null, [], [], (224, 224)));
        model.eval();
        using var noGrad = no_grad();
        float[] actual = model.ForwardFeatures(bound.Batch(photo, [0], train: false, seed: 0, epoch: 0)).data<float>().ToArray();

        Assert.Equal(512, actual.Length);
        double largest = expected.Max(Math.Abs);
        double diff = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
        Assert.True(diff <= 1e-4 * largest, $"max |difference| {diff:G3} vs largest feature {largest:G3}");
    }

    private static float[] OnnxRuntimeFeatures(float[] rgb255)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 2 };
        using var preprocess = new InferenceSession(ImageNetResNet18Weights.LocatePreprocess(), options);
        using var network = new InferenceSession(ImageNetResNet18Weights.Locate(), options);
        using var input = OrtValue.CreateTensorValueFromMemory(rgb255, [1, 3, 224, 224]);
        using var run = new RunOptions();
        using var bgr = preprocess.Run(run, ["OriginalInput"], [input], ["PreprocessedInput"]);
        using var features = network.Run(run, ["Input247"], [bgr[0]], ["Pooling395_Output_0"]);
        return features[0].GetTensorDataAsSpan<float>().ToArray();
    }
}
