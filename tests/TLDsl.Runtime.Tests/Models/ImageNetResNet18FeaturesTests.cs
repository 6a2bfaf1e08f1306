using System;
using System.Globalization;
using System.IO;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using StbImageSharp;
using TLDsl.Runtime.Models;
using TLDsl.Runtime.Tests.Fixtures;
using TLDsl.Runtime.Weights;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Tests.Models;

/// <summary>
/// The ImageNet ResNet-18 rebuilt in TorchSharp (the zoo's resnet18_imagenet with the weights mapped from
/// ResNet18.onnx) computes the same 512-d features of a real photograph as ONNX Runtime running the package's own
/// ResNetPreprocess.onnx + ResNet18.onnx.
/// </summary>
public sealed class ImageNetResNet18FeaturesTests(ITestOutputHelper output)
{
    /// <summary>chelsea.png decoded to planar RGB 0–255 floats and resized to 224x224 (bilinear, align_corners false).</summary>
    private static Tensor PhotoPixels()
    {
        var image = ImageResult.FromMemory(File.ReadAllBytes(FixturePaths.Get("images", "chelsea.png")), ColorComponents.RedGreenBlue);
        Assert.Equal((451, 300), (image.Width, image.Height));
        var hwc = image.Data.Select(b => (float)b).ToArray();
        using var scope = NewDisposeScope();
        var chw = torch.tensor(hwc, [image.Height, image.Width, 3]).permute(2, 0, 1).unsqueeze(0);
        var resized = nn.functional.interpolate(chw, size: [224, 224], mode: InterpolationMode.Bilinear, align_corners: false);
        return resized.contiguous().MoveToOuterDisposeScope();
    }

    private static float[] OnnxRuntimeFeatures(Tensor rgb)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 2 };
        using var preprocess = new InferenceSession(ImageNetResNet18Weights.LocatePreprocess(), options);
        using var network = new InferenceSession(ImageNetResNet18Weights.Locate(), options);
        var pixels = rgb.data<float>().ToArray();
        using var input = OrtValue.CreateTensorValueFromMemory(pixels, [1, 3, 224, 224]);
        using var runOptions = new RunOptions();
        using var bgr = preprocess.Run(runOptions, ["OriginalInput"], [input], ["PreprocessedInput"]);
        using var features = network.Run(runOptions, ["Input247"], [bgr[0]], ["Pooling395_Output_0"]);
        Assert.Equal(new long[] { 1, 512, 1, 1 }, features[0].GetTensorTypeAndShape().Shape);
        return features[0].GetTensorDataAsSpan<float>().ToArray();
    }

    /// <summary>Runs the ResNet's children in order up to (not including) fc, flattening after avgpool.</summary>
    private static Tensor PooledFeatures(nn.Module<Tensor, Tensor> resnet, Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = input;
        foreach (var (name, module) in resnet.named_children())
        {
            if (name == "fc")
            {
                break;
            }

            x = ((nn.Module<Tensor, Tensor>)module).call(x);
            if (name == "avgpool")
            {
                x = x.flatten(1);
            }
        }

        return x.MoveToOuterDisposeScope();
    }

    private static nn.Module<Tensor, Tensor> LoadedResNet()
    {
        var net = ModelZoo.Get("resnet18_imagenet").Create();
        var state = ImageNetResNet18Weights.LoadStateDict(ImageNetResNet18Weights.Locate());
        try
        {
            var report = StateDictLoader.Load(net, state, ImageNetResNet18Weights.FileName,
                allowMissing: k => k.EndsWith(".num_batches_tracked", StringComparison.Ordinal) || k.StartsWith("fc.", StringComparison.Ordinal));
            Assert.Equal(ImageNetResNet18Weights.InitializerCount, report.Loaded.Count);
            Assert.Empty(report.Unexpected);
        }
        finally
        {
            foreach (var t in state.Values)
            {
                t.Dispose();
            }
        }

        net.eval();
        return net;
    }

    private static double Cosine(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            na += (double)a[i] * a[i];
            nb += (double)b[i] * b[i];
        }

        return dot / Math.Sqrt(na * nb);
    }

    [Fact]
    public void Features_of_a_photograph_match_ONNX_Runtime()
    {
        using var rgb = PhotoPixels();
        var expected = OnnxRuntimeFeatures(rgb);

        using var net = LoadedResNet();
        using var meanImage = ImageNetResNet18Weights.LoadMeanImage(ImageNetResNet18Weights.LocatePreprocess());
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        // RGB 0-255 -> BGR, minus the exact mean image; no std division.
        var bgr = rgb.index_select(1, torch.tensor(new long[] { 2, 1, 0 })) - meanImage.unsqueeze(0);
        var actual = PooledFeatures(net, bgr).data<float>().ToArray();

        Assert.Equal(ImageNetResNet18Weights.FeatureSize, actual.Length);
        var maxFeature = expected.Max(Math.Abs);
        var maxDiff = actual.Zip(expected, (a, b) => Math.Abs(a - b)).Max();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"chelsea.png 224x224: max |TorchSharp - ONNX Runtime| = {maxDiff:G3}, max |feature| = {maxFeature:G4}, " +
            $"relative {maxDiff / maxFeature:G3}, cosine {Cosine(actual, expected):F8}"));
        Assert.True(maxFeature > 1, "features should not be near zero");
        Assert.True(maxDiff <= 1e-4 * maxFeature, $"max abs diff {maxDiff} vs max feature {maxFeature}");
    }

    [Fact]
    public void Channel_means_approximate_the_mean_image_and_RGB_order_is_a_silent_error()
    {
        using var rgb = PhotoPixels();
        var expected = OnnxRuntimeFeatures(rgb);

        using var net = LoadedResNet();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var means = torch.tensor(ImageNetResNet18Weights.BgrChannelMeans.ToArray()).reshape(1, 3, 1, 1);
        var bgr = rgb.index_select(1, torch.tensor(new long[] { 2, 1, 0 })) - means;
        var withChannelMeans = PooledFeatures(net, bgr).data<float>().ToArray();
        var rgbMinusMeans = rgb - means.index_select(1, torch.tensor(new long[] { 2, 1, 0 }));
        var withRgbOrder = PooledFeatures(net, rgbMinusMeans).data<float>().ToArray();

        var cosineMeans = Cosine(withChannelMeans, expected);
        var cosineRgb = Cosine(withRgbOrder, expected);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"cosine to ONNX Runtime: channel means {cosineMeans:F5}, RGB order instead of BGR {cosineRgb:F5}"));
        Assert.True(cosineMeans >= 0.999, $"channel means: cosine {cosineMeans}");
        Assert.True(cosineRgb < cosineMeans, $"RGB order: cosine {cosineRgb}");
    }
}
