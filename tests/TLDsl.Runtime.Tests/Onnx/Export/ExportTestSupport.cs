using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Tensor = TorchSharp.torch.Tensor;
using StbImageSharp;
using TLDsl.Inference;
using TLDsl.Runtime.Data;
using TLDsl.Runtime.Models;
using TLDsl.Runtime.Onnx;
using TLDsl.Runtime.Onnx.Export;
using TLDsl.Runtime.Onnx.Proto;
using TLDsl.Runtime.Surgery;
using TLDsl.Runtime.Tests.Fixtures;
using TorchSharp;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Tests.Onnx.Export;

/// <summary>Real images, random-but-nontrivial models, ONNX Runtime runs and the tolerance the export tests share.</summary>
internal static class ExportTestSupport
{
    public static readonly string[] Labels = ["cat", "dog", "fox"];

    /// <summary>chelsea.png (a real photo, 451x300 RGB) as interleaved bytes.</summary>
    private static readonly Lazy<ImageResult> Chelsea = new(() =>
        ImageResult.FromMemory(File.ReadAllBytes(FixturePaths.Get("images", "chelsea.png")), ColorComponents.RedGreenBlue));

    /// <summary>Four real images of different sizes, aspect ratios and channel counts cut from the photo.</summary>
    public static DecodedImage[] FourImages()
    {
        var full = Crop(0, 0, Chelsea.Value.Width, Chelsea.Value.Height, 3);
        return [full, Crop(40, 20, 200, 260, 3), Crop(150, 100, 160, 90, 3), Crop(10, 60, 300, 220, 1)];
    }

    /// <summary>A <paramref name="width"/> x <paramref name="height"/> window of the photo (1 channel: luminance bytes).</summary>
    public static DecodedImage Crop(int left, int top, int width, int height, int channels) =>
        new(PlanarImage.FromInterleaved(CropBytes(left, top, width, height, channels), channels, width * height), channels, height, width);

    /// <summary>Interleaved HWC bytes of a window of the photo.</summary>
    public static byte[] CropBytes(int left, int top, int width, int height, int channels)
    {
        var image = Chelsea.Value;
        var bytes = new byte[width * height * channels];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                int src = (((top + y) * image.Width) + left + x) * 3;
                int dst = ((y * width) + x) * channels;
                if (channels == 1)
                {
                    bytes[dst] = (byte)Math.Round((0.299 * image.Data[src]) + (0.587 * image.Data[src + 1]) + (0.114 * image.Data[src + 2]));
                }
                else
                {
                    Array.Copy(image.Data, src, bytes, dst, 3);
                }
            }
        }

        return bytes;
    }

    /// <summary>The evaluation batch of <paramref name="images"/> as the runtime prepares it.</summary>
    public static Tensor Batch(ImagePreprocessor preprocessor, DecodedImage[] images) =>
        preprocessor.Batch(new ListSource(images), Enumerable.Range(0, images.Length).ToArray(), train: false, seed: 1, epoch: 0);

    /// <summary>Gives every BatchNorm random running statistics and affine parameters, so that inference-mode
    /// normalisation is really tested (fresh ones are the identity).</summary>
    public static void RandomiseNorms(nn.Module model, int seed)
    {
        torch.manual_seed(seed);
        using var noGrad = no_grad();
        foreach (var (_, m) in model.named_modules())
        {
            if (m is TorchSharp.Modules.BatchNorm bn)
            {
                long n = bn.running_mean!.shape[0];
                bn.running_mean.copy_(torch.randn(n) * 0.2);
                bn.running_var!.copy_(torch.rand(n) + 0.5);
                bn.weight?.copy_(torch.rand(n) + 0.5);
                bn.bias?.copy_(torch.randn(n) * 0.2);
            }
            else if (m is TorchSharp.Modules.LayerNorm ln)
            {
                long n = ln.weight!.numel();
                ln.weight.copy_((torch.rand(n) + 0.5).view(ln.weight.shape));
                ln.bias!.copy_((torch.randn(n) * 0.2).view(ln.bias.shape));
            }
        }
    }

    /// <summary>Eval-mode logits, as floats [rows * classes].</summary>
    public static float[] TorchLogits(TransferModel model, Tensor batch)
    {
        model.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return model.call(batch).contiguous().data<float>().ToArray();
    }

    /// <summary>Serialises, checks with the importer's own reader and validator, and writes the model to a temp file.</summary>
    public static string WriteChecked(ModelProto proto, string folder)
    {
        var path = Path.Combine(folder, "model.onnx");
        OnnxExporter.Write(proto, path);
        var read = OnnxModelFile.Read(path); // runs OnnxModelValidator
        Assert.Equal(OnnxExporter.Opset, read.GetOpsetVersion());
        return path;
    }

    /// <summary>Runs the model file in ONNX Runtime and returns an output.</summary>
    public static float[] Run(string path, NamedOnnxValue input, string output = OnnxModelInfo.LogitsName)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 2 };
        using var session = new InferenceSession(path, options);
        using var results = session.Run([input], [output]);
        return results[0].AsEnumerable<float>().ToArray();
    }

    public static NamedOnnxValue Floats(Tensor batch)
    {
        var data = batch.contiguous().data<float>().ToArray();
        return NamedOnnxValue.CreateFromTensor(OnnxModelInfo.InputName, new DenseTensor<float>(data, batch.shape.Select(d => (int)d).ToArray()));
    }

    /// <summary>Asserts the ONNX Runtime logits equal TorchSharp's within 1e-4 of the largest logit.</summary>
    public static double AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double largest = expected.Max(v => Math.Abs((double)v));
        double worst = expected.Zip(actual, (e, a) => Math.Abs((double)e - a)).Max();
        Assert.True(largest > 0, $"{what}: all logits are zero, which tests nothing");
        Assert.True(worst <= 1e-4 * largest, $"{what}: ONNX Runtime differs from TorchSharp by {worst:G3}, more than 1e-4 of the largest logit {largest:G4}");
        return worst / largest;
    }

    public static OnnxModelInfo Info(ImagePreprocessor preprocessor, OnnxInputLayout layout = OnnxInputLayout.NormalizedNchw, IReadOnlyList<string>? labels = null)
    {
        var e = preprocessor.Evaluation;
        return new OnnxModelInfo
        {
            Labels = labels ?? Labels,
            Height = e.Height,
            Width = e.Width,
            Channels = e.Channels,
            Layout = layout,
            Scale = e.Scale,
            Shift = e.Shift,
            ReverseChannels = e.ReverseChannels,
            PixelShift = e.PixelShift,
            PipelineSha256 = new string('0', 64),
            PipelineName = "ExportTest",
            Version = OnnxExporter.Version,
        };
    }

    /// <summary>A temporary folder deleted on dispose.</summary>
    public sealed class TempFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("tldsl-onnx-export-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }

    private sealed class ListSource(DecodedImage[] images) : IImageSource
    {
        public int Count => images.Length;

        public IReadOnlyList<string> Labels => ExportTestSupport.Labels;

        public int LabelOf(int index) => 0;

        public string NameOf(int index) => $"image {index}";

        public DecodedImage Decode(int index) => images[index];
    }
}
