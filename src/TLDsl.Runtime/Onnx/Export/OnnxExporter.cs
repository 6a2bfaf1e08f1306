using System;
using System.IO;
using System.Linq;
using System.Reflection;
using Google.Protobuf;
using TLDsl.Inference;
using TLDsl.Runtime.IO;
using TLDsl.Runtime.Models;
using TLDsl.Runtime.Onnx.Proto;
using TLDsl.Runtime.Surgery;
using TLDsl.Spec.Catalogue;
using static TorchSharp.torch;
using DataType = TLDsl.Runtime.Onnx.Proto.TensorProto.Types.DataType;
using W = TLDsl.Runtime.Onnx.Export.OnnxGraphWriter;

namespace TLDsl.Runtime.Onnx.Export;

/// <summary>
/// Writes a <see cref="TransferModel"/> as an ONNX model for ONNX Runtime: opset 17, a dynamic batch, the input
/// <c>input</c> and the outputs <c>logits</c> and <c>probabilities</c>, inference semantics (BatchNorm on running
/// statistics, no dropout), and TLDsl's metadata (<see cref="OnnxModelInfo"/>). With
/// <see cref="OnnxInputLayout.UnitNchw"/> or <see cref="OnnxInputLayout.Uint8Nhwc"/> the graph also does the channel
/// reordering and normalisation, so that a consumer only resizes.
/// </summary>
public static class OnnxExporter
{
    /// <summary>The ONNX operator set the exporter writes.</summary>
    public const long Opset = 17;

    /// <summary>The ONNX IR version written (the one that goes with opset 17).</summary>
    public const long IrVersion = 8;

    /// <summary>The TLDsl version written into the metadata.</summary>
    public static string Version { get; } =
        typeof(OnnxExporter).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    /// <summary>Builds the ONNX model of <paramref name="model"/> in memory (nothing is written).</summary>
    /// <param name="model">The model; it is run in eval mode during the export and its mode is restored after.</param>
    /// <param name="info">The metadata: labels, input size and channels, normalisation, layout of the graph input.</param>
    /// <exception cref="OnnxExportException">A module cannot be exported; the message names it.</exception>
    public static ModelProto Build(TransferModel model, OnnxModelInfo info)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(info);
        var writer = new W();
        bool training = model.training;
        model.eval();
        try
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            long c = info.Channels, h = info.Height, w = info.Width;
            var x = new Value(writer.Reserve(OnnxModelInfo.InputName), zeros(1, c, h, w));
            writer.Graph.Input.Add(info.Layout == OnnxInputLayout.Uint8Nhwc
                ? W.Value(x.Name, DataType.Uint8, null, h, w, c)
                : W.Value(x.Name, DataType.Float, null, c, h, w));
            x = Preprocess(writer, info, x);

            var exporter = new ModuleExporter(writer);
            x = EmitSteps(writer, exporter, model, x, model.Steps.Count);
            x = exporter.Emit(model.Head, x, "head");
            if (x.Sample.dim() != 2 || x.Sample.shape[1] != info.Labels.Count)
            {
                throw new OnnxExportException($"cannot export the model: it outputs [{string.Join(", ", x.Sample.shape)}] per batch, not one logit for each of the {info.Labels.Count} labels.");
            }

            AddOutput(writer, "Identity", x.Name, OnnxModelInfo.LogitsName, info.Labels.Count);
            AddOutput(writer, "Softmax", x.Name, OnnxModelInfo.ProbabilitiesName, info.Labels.Count, W.Int("axis", 1));

            var undefined = writer.Undefined().FirstOrDefault();
            if (undefined is not null)
            {
                throw new InvalidOperationException($"the exported graph uses the value '{undefined}' before defining it");
            }
        }
        finally
        {
            model.train(training);
        }

        var proto = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "TLDsl",
            ProducerVersion = Version,
            DocString = $"{info.PipelineName}: exported by tldsl export --format onnx",
            Graph = writer.Graph,
        };
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = Opset });
        foreach (var (key, value) in info.ToProperties())
        {
            proto.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        }

        return proto;
    }

    /// <summary>Writes the backbone steps [0, <paramref name="count"/>) of <paramref name="model"/> applied to
    /// <paramref name="x"/> (the whole model's export and the feature engine's prefix export share it).</summary>
    internal static Value EmitSteps(W writer, ModuleExporter exporter, TransferModel model, Value x, int count)
    {
        foreach (var step in model.Steps.Take(count))
        {
            x = step.Kind switch
            {
                LayoutStepKind.Child => exporter.Emit(model.StepModule(step.Name), x, step.Name),
                LayoutStepKind.GlobalAveragePool => new Value(writer.Node("GlobalAveragePool", step.Name, [x.Name]), step.Run(x.Sample, model.StepModule)),
                LayoutStepKind.Flatten => new Value(writer.Node("Flatten", step.Name, [x.Name], W.Int("axis", 1)), step.Run(x.Sample, model.StepModule)),
                _ => throw new OnnxExportException($"cannot export the layout step '{step.Name}': unknown step kind {step.Kind}."),
            };
        }

        return x;
    }

    /// <summary>Writes <paramref name="model"/> to <paramref name="path"/> atomically: the file is whole or absent.</summary>
    /// <exception cref="OnnxExportException">The file cannot be written (the message names it).</exception>
    public static void Write(ModelProto model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(path);
        try
        {
            var folder = Path.GetDirectoryName(Path.GetFullPath(path));
            if (folder is not null)
            {
                Directory.CreateDirectory(folder);
            }

            AtomicFile.Write(path, stream => model.WriteTo(stream));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OnnxExportException($"cannot write the ONNX model to '{Path.GetFullPath(path)}': {e.Message}", e);
        }
    }

    /// <summary>The in-graph preprocessing: bytes to [0, 1] NCHW, then BGR and <c>x * scale + shift</c>, the numbers of
    /// <see cref="OnnxModelInfo.Preprocessing"/>.</summary>
    private static Value Preprocess(W writer, OnnxModelInfo info, Value x)
    {
        if (info.Layout == OnnxInputLayout.NormalizedNchw)
        {
            return x;
        }

        string name = x.Name;
        if (info.Layout == OnnxInputLayout.Uint8Nhwc)
        {
            name = writer.Node("Cast", "preprocess", [name], W.Int("to", (int)DataType.Float));
            name = writer.Node("Transpose", "preprocess", [name], W.Ints("perm", [0, 3, 1, 2]));
            // x / 255, as the decoder computes b / 255f.
            name = writer.Node("Div", "preprocess", [name, writer.Scalar("preprocess.255", 255f)]);
        }

        var preprocessing = info.Preprocessing();
        long c = info.Channels;
        if (preprocessing.ReverseChannels)
        {
            name = writer.Node("Gather", "preprocess", [name, writer.Int64s("preprocess.bgr", [2, 1, 0])], W.Int("axis", 1));
        }

        name = writer.Node("Mul", "preprocess", [name, writer.Floats("preprocess.scale", [.. preprocessing.Scale], [1, c, 1, 1])]);
        string shift = preprocessing.PixelShift is { } pixels
            ? writer.Floats("preprocess.pixel_shift", [.. pixels], [1, c, info.Height, info.Width])
            : writer.Floats("preprocess.shift", [.. preprocessing.Shift], [1, c, 1, 1]);
        name = writer.Node("Add", "preprocess", [shift, name]);
        return x with { Name = name };
    }

    private static void AddOutput(W writer, string op, string input, string output, long classes, params AttributeProto[] attributes)
    {
        writer.Reserve(output);
        var node = new NodeProto { OpType = op, Name = output };
        node.Input.Add(input);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        writer.AddNode(node);
        writer.Graph.Output.Add(W.Value(output, DataType.Float, null, classes));
    }
}
