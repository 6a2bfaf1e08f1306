using System;
using System.IO;
using TLDsl.Runtime.Models;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TLDsl.Runtime.Onnx.Import;

/// <summary>
/// Makes a <see cref="BaseArchitecture"/> of an ONNX file, so that <c>base: { onnx: model.onnx }</c> goes through the
/// same surgery as a catalogue model. The layout is one step, <see cref="StepName"/>, holding the whole imported graph
/// (an <see cref="Surgery.IGraphBackbone"/>): drop and cut name graph layers (<c>Gemm_5</c>), the
/// <see cref="Surgery.TransferModel"/> registers the graph's layers under their own names (freeze rules and state-dict
/// keys use <c>Conv_0</c>, <c>Conv_0.weight</c>), and <see cref="BaseArchitecture.Classifier"/> is the graph's
/// classifier layer. The weights are the file's own: build with <see cref="Surgery.WeightsSource.None"/>.
/// <see cref="BaseArchitecture.InputChannels"/> is the graph's (1 for a grayscale model).
/// </summary>
public static class OnnxBaseArchitecture
{
    /// <summary>The name of the single layout step (reserved: no imported layer is called this).</summary>
    public const string StepName = "onnx";

    /// <summary>Reads, checks and describes the ONNX model at <paramref name="onnxPath"/>.</summary>
    /// <param name="onnxPath">The .onnx file.</param>
    /// <param name="normalization">The preprocessing its inputs need (ONNX files do not say); ImageNet mean/std when null.</param>
    /// <param name="options">Import options.</param>
    /// <exception cref="OnnxFormatException">The file cannot be read safely.</exception>
    /// <exception cref="OnnxImportException">The graph cannot be imported (every problem is listed).</exception>
    public static BaseArchitecture Create(string onnxPath, Normalization? normalization = null, OnnxImportOptions? options = null)
    {
        var model = OnnxModelFile.Read(onnxPath);
        return Create(model, normalization, options);
    }

    /// <summary>Describes an already read ONNX model; see <see cref="Create(string, Normalization?, OnnxImportOptions?)"/>.</summary>
    public static BaseArchitecture Create(OnnxModel model, Normalization? normalization = null, OnnxImportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var problems = OnnxImporter.Check(model, options);
        if (problems.Count > 0)
        {
            throw new OnnxImportException(model.FilePath, problems);
        }

        string? classifier;
        int size, channels;
        using (var probe = OnnxImporter.Import(model, options))
        {
            classifier = probe.Classifier;
            size = probe.DefaultHeight;
            channels = probe.InputChannels;
        }

        var fileName = Path.GetFileName(model.FilePath);
        return new BaseArchitecture(
            Name: "onnx:" + fileName,
            Family: "onnx",
            DefaultInputSize: size,
            Layout: [LayoutStep.Child(StepName)],
            Classifier: classifier,
            DefaultNormalization: normalization ?? Normalization.ImageNet,
            Weights: [],
            Description: $"ONNX graph {fileName} imported as a trainable TorchSharp module",
            Factory: () => new OnnxBackboneRoot(OnnxImporter.Import(model, options)))
        {
            // The graph's declared input channels (a grayscale model takes [N, 1, H, W]); 3 when symbolic.
            InputChannels = channels,
        };
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(string Path, DateTime Written, long Length), int> ChannelCache = new();

    /// <summary>The input channels of the ONNX model at <paramref name="onnxPath"/> (see <see cref="OnnxImporter.InputChannels"/>),
    /// remembered per file version: preprocessing asks for them on every data plan.</summary>
    /// <exception cref="OnnxFormatException">The file cannot be read safely.</exception>
    public static int InputChannels(string onnxPath)
    {
        var info = new FileInfo(onnxPath);
        var key = (info.FullName, info.Exists ? info.LastWriteTimeUtc : default, info.Exists ? info.Length : -1);
        return ChannelCache.GetOrAdd(key, _ => OnnxImporter.InputChannels(OnnxModelFile.Read(onnxPath)));
    }

    /// <summary>The module a factory returns: one child, <see cref="StepName"/>, the imported graph.</summary>
    private sealed class OnnxBackboneRoot : Module<Tensor, Tensor>
    {
        private readonly OnnxGraphModule onnx;

        public OnnxBackboneRoot(OnnxGraphModule graph) : base("onnx_root")
        {
            onnx = graph;
            RegisterComponents();
        }

        public override Tensor forward(Tensor input) => onnx.call(input);
    }
}
