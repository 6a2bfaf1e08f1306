using System;
using System.Globalization;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using TLDsl.Runtime.Onnx;
using TLDsl.Runtime.Tests.Fixtures;
using TorchSharp.PyBridge;
using Xunit.Abstractions;
using static TorchSharp.torch;
using DataType = TLDsl.Runtime.Onnx.Proto.TensorProto.Types.DataType;

namespace TLDsl.Runtime.Tests.Onnx;

/// <summary>
/// A model exported by PyTorch's own exporter (tests/fixtures/onnx, Debian's python3-torch 1.13): IR 7+, opset 13,
/// raw_data initializers and a symbolic batch dimension — the other common shape of ONNX files besides the CNTK one.
/// </summary>
public sealed class PyTorchExportedOnnxTests(ITestOutputHelper output)
{
    private static string ModelPath => FixturePaths.Get("onnx", "mobilenet_v2_w035_c10_opset13.onnx");

    [Fact]
    public void Reads_a_PyTorch_export_with_raw_data_and_a_symbolic_batch()
    {
        var model = OnnxModelFile.Read(ModelPath);

        Assert.True(model.IrVersion >= 7, $"IR {model.IrVersion}");
        Assert.Equal(13, model.GetOpsetVersion());
        Assert.Equal(["input"], model.InputNames);
        Assert.Equal(["logits"], model.OutputNames);
        var dims = model.Graph.Input.Single().Type.TensorType.Shape.Dim;
        Assert.Equal("batch", dims[0].DimParam);
        Assert.Equal(new long[] { 3, 64, 64 }, dims.Skip(1).Select(d => d.DimValue));
        Assert.NotEmpty(model.Graph.Initializer);
        Assert.All(model.Graph.Initializer, t => Assert.True(t.HasRawData, t.Name));

        // The classifier is not folded into anything: its initializer equals the .pth's tensor bit for bit.
        var pth = PyTorchUnpickler.UnpickleStateDict(FixturePaths.Get("torch", "mobilenet_v2_w035_c10.pth"));
        var expected = (Tensor)pth["classifier.1.weight"]!;
        Assert.Equal((int)DataType.Float, model.Initializers["classifier.1.weight"].DataType);
        using var actual = model.ReadInitializer("classifier.1.weight");
        Assert.Equal(expected.shape, actual.shape);
        Assert.True(expected.contiguous().bytes.SequenceEqual(actual.bytes));
    }

    [Fact]
    public void Onnx_runtime_reproduces_PyTorchs_logits_from_the_export()
    {
        var (shape, input) = NpyFile.ReadFloat32(FixturePaths.Get("torch", "input_2x3x64x64.npy"));
        var (_, expected) = NpyFile.ReadFloat32(FixturePaths.Get("torch", "mobilenet_v2_w035_c10_logits.npy"));
        using var session = new InferenceSession(ModelPath);
        using var value = OrtValue.CreateTensorValueFromMemory(input, shape);
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, ["input"], [value], ["logits"]);
        var logits = results[0].GetTensorDataAsSpan<float>().ToArray();

        var maxDiff = logits.Zip(expected, (a, b) => Math.Abs(a - b)).Max();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ONNX Runtime vs PyTorch logits: max abs diff {maxDiff:G3}"));
        Assert.True(maxDiff <= 1e-4, $"max abs diff {maxDiff}");
    }
}
