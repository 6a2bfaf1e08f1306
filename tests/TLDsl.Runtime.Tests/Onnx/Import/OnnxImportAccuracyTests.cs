using System;
using System.Globalization;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using TLDsl.Runtime.Models;
using TLDsl.Runtime.Onnx;
using TLDsl.Runtime.Onnx.Import;
using TLDsl.Runtime.Tests.Fixtures;
using TLDsl.Runtime.Weights;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Tests.Onnx.Import;

/// <summary>Imported graphs compute what ONNX Runtime and PyTorch compute.</summary>
public sealed class OnnxImportAccuracyTests(ITestOutputHelper output)
{
    internal static float[] RunOrt(string path, string inputName, float[] input, long[] shape)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 2 };
        using var session = new InferenceSession(path, options);
        using var value = OrtValue.CreateTensorValueFromMemory(input, shape);
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, [inputName], [value], [session.OutputNames[0]]);
        return results[0].GetTensorDataAsSpan<float>().ToArray();
    }

    internal static float[] RunImported(OnnxGraphModule module, float[] input, long[] shape)
    {
        module.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var x = torch.tensor(input, shape);
        return module.call(x).contiguous().data<float>().ToArray();
    }

    private static double MaxAbs(float[] a, float[] b)
    {
        Assert.Equal(a.Length, b.Length);
        return a.Zip(b, (p, q) => Math.Abs((double)p - q)).Max();
    }

    [Theory]
    [InlineData("smallcnn_c10_opset14.onnx", "smallcnn_c10_logits.npy")]
    [InlineData("smallcnn_c10_opset9.onnx", "smallcnn_c10_logits.npy")]
    [InlineData("mobilenet_v2_w035_c10_opset13.onnx", "../torch/mobilenet_v2_w035_c10_logits.npy")]
    public void PyTorch_exports_match_onnx_runtime_and_PyTorch(string file, string logitsFile)
    {
        var path = FixturePaths.Get("onnx", file);
        var (shape, input) = NpyFile.ReadFloat32(FixturePaths.Get("torch", "input_2x3x64x64.npy"));
        var (_, torchLogits) = NpyFile.ReadFloat32(FixturePaths.Get("onnx", logitsFile));
        var model = OnnxModelFile.Read(path);
        Assert.Empty(OnnxImporter.Check(model));
        using var module = OnnxImporter.Import(model);
        var actual = RunImported(module, input, shape.Select(d => (long)d).ToArray());
        var ort = RunOrt(path, "input", input, shape.Select(d => (long)d).ToArray());

        double vsOrt = MaxAbs(actual, ort), vsTorch = MaxAbs(actual, torchLogits);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{file}: ops {string.Join(",", module.Layers.Select(l => l.OpType).Distinct().Order())}; max |imported - ORT| {vsOrt:G3}, max |imported - PyTorch| {vsTorch:G3}, max |logit| {torchLogits.Max(Math.Abs):G3}"));
        Assert.True(vsOrt <= 1e-4, $"vs ORT {vsOrt}");
        Assert.True(vsTorch <= 1e-4, $"vs PyTorch {vsTorch}");
    }

    [Fact]
    public void Small_cnn_exercises_the_ops_it_is_meant_to()
    {
        using var m14 = OnnxImporter.Import(OnnxModelFile.Read(FixturePaths.Get("onnx", "smallcnn_c10_opset14.onnx")));
        var ops = m14.Layers.Select(l => l.OpType).ToHashSet();
        foreach (var op in new[] { "Conv", "Clip", "HardSwish", "Concat", "Pad", "AveragePool", "LeakyRelu",
                     "ReduceMean", "Sigmoid", "Mul", "MaxPool", "Shape", "Gather", "Unsqueeze", "Reshape", "Gemm", "HardSigmoid" })
        {
            Assert.True(ops.Contains(op), $"{op} not in {string.Join(",", ops)}");
        }

        using var m9 = OnnxImporter.Import(OnnxModelFile.Read(FixturePaths.Get("onnx", "smallcnn_c10_opset9.onnx")));
        Assert.Contains("Clip", m9.Layers.Select(l => l.OpType));
        Assert.Equal(9, m9.Model.GetOpsetVersion());
        // Gemm is a Linear; (PyTorch's exporter folds BatchNorm into Conv: ResNet18.onnx covers BatchNormalization.)
        Assert.Contains(m14.named_modules(), m => m.module is TorchSharp.Modules.Linear);
        Assert.Equal("fc2", m14.Classifier);
        Assert.Contains("conv1_Conv.weight", m14.state_dict().Keys);
    }

    [Fact]
    public void ImageNet_ResNet18_imported_generically_matches_onnx_runtime_and_the_zoo_ResNet()
    {
        var path = ImageNetResNet18Weights.Locate();
        torch.manual_seed(7);
        using var xs = torch.randn(2, 3, 224, 224) * 60;
        var input = xs.data<float>().ToArray();
        long[] shape = [2, 3, 224, 224];

        var model = OnnxModelFile.Read(path);
        Assert.Empty(OnnxImporter.Check(model));
        using var module = OnnxImporter.Import(model);
        Assert.Null(module.Classifier);
        var actual = RunImported(module, input, shape);

        // ORT takes one image at a time ([1,3,224,224] is fixed in the file).
        var ort = RunOrt(path, "Input247", input[..(3 * 224 * 224)], [1, 3, 224, 224])
            .Concat(RunOrt(path, "Input247", input[(3 * 224 * 224)..], [1, 3, 224, 224])).ToArray();

        using var zoo = ModelZoo.Get("resnet18_imagenet").Create();
        var state = ImageNetResNet18Weights.LoadStateDict(path);
        try
        {
            StateDictLoader.Load(zoo, state, "ResNet18.onnx",
                allowMissing: k => k.EndsWith(".num_batches_tracked", StringComparison.Ordinal) || k.StartsWith("fc.", StringComparison.Ordinal));
        }
        finally
        {
            foreach (var t in state.Values)
            {
                t.Dispose();
            }
        }

        zoo.eval();
        float[] zooFeatures;
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            var y = torch.tensor(input, shape);
            foreach (var (name, child) in zoo.named_children())
            {
                if (name == "fc")
                {
                    break;
                }

                y = ((nn.Module<Tensor, Tensor>)child).call(y);
            }

            zooFeatures = y.flatten().data<float>().ToArray();
        }

        double largest = ort.Max(Math.Abs);
        double vsOrt = MaxAbs(actual, ort) / largest, vsZoo = MaxAbs(actual, zooFeatures) / largest;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ResNet18.onnx: {module.Layers.Count} layers, max |feature| {largest:G4}; max |imported - ORT| / max {vsOrt:G3}; max |imported - zoo| / max {vsZoo:G3}"));
        Assert.True(vsOrt <= 1e-4, $"vs ORT {vsOrt}");
        Assert.True(vsZoo <= 1e-4, $"vs zoo {vsZoo}");
        output.WriteLine("stages: " + string.Join(" | ", module.Stages.Select(s => $"{s[0]}..{s[^1]} ({s.Count})")));
        Assert.Equal(5, module.Stages.Count);
    }
}
