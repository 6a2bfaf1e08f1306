using System;
using System.Linq;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using TLDsl.Runtime.Native;
using TLDsl.Runtime.Onnx.Export;
using TLDsl.Runtime.Onnx.Proto;
using TLDsl.Runtime.Surgery;
using static TorchSharp.torch;
using DataType = TLDsl.Runtime.Onnx.Proto.TensorProto.Types.DataType;
using W = TLDsl.Runtime.Onnx.Export.OnnxGraphWriter;

namespace TLDsl.Runtime.Onnx.Engine;

/// <summary>
/// A forward pass run by ONNX Runtime on TorchSharp tensors: a float NCHW batch in, one output out. Made from the first
/// backbone steps of a <see cref="TransferModel"/> (eval semantics), exported in memory for the feature cache, or from
/// an exported model file for prediction. The session holds its own copy of the weights: later changes to the model
/// are not seen.
/// </summary>
internal sealed class OrtForward : IDisposable
{
    private const string InputName = "input";
    private const string OutputName = "features";
    private readonly InferenceSession _session;
    private readonly RunOptions _run = new();
    private readonly string _input;
    private readonly string _output;

    private OrtForward(InferenceSession session, int threads, string input, string output)
    {
        _session = session;
        Threads = threads;
        _input = input;
        _output = output;
    }

    /// <summary>ONNX Runtime's intra-op threads.</summary>
    public int Threads { get; }

    /// <summary>Exports steps [0, <paramref name="steps"/>) for inputs of <paramref name="sample"/>'s per-image shape and
    /// opens a session with <paramref name="threads"/> intra-op threads.</summary>
    /// <exception cref="OnnxExportException">A module cannot be exported, or ONNX Runtime refuses the graph.</exception>
    public static OrtForward Create(TransferModel model, int steps, long[] sample, int threads)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        byte[] bytes = Serialize(model, steps, sample);
        // The export's protobuf (a copy of every weight: 61 MiB for the ImageNet ResNet-18) is garbage now; collected
        // before ONNX Runtime makes its own copies, it is not part of the session's peak. Then ONNX Runtime's freed
        // loading temporaries (~150 MiB of heap for that model) go back to the system before the cache is built on top.
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        var forward = Open(options => new InferenceSession(bytes, options), threads, InputName, OutputName, "the exported frozen prefix");
        bytes = [];
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        NativeHeap.Trim();
        return forward;
    }

    /// <summary>The serialized export; the protobuf is unreachable once this returns.</summary>
    private static byte[] Serialize(TransferModel model, int steps, long[] sample) => Export(model, steps, sample).ToByteArray();

    /// <summary>Opens the exported model file <paramref name="path"/>, running <paramref name="input"/> to
    /// <paramref name="output"/>.</summary>
    /// <exception cref="OnnxExportException">ONNX Runtime refuses the file.</exception>
    public static OrtForward OpenFile(string path, string input, string output, int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        return Open(options => new InferenceSession(path, options), threads, input, output, path);
    }

    private static OrtForward Open(Func<SessionOptions, InferenceSession> create, int threads, string input, string output, string what)
    {
        using var options = new SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            EnableCpuMemArena = false,
        };
        try
        {
            return new OrtForward(create(options), threads, input, output);
        }
        catch (OnnxRuntimeException e)
        {
            throw new OnnxExportException($"ONNX Runtime cannot load {what}: {e.Message}", e);
        }
    }

    /// <summary>The ONNX graph of steps [0, <paramref name="steps"/>): input <c>input</c> [batch, C, H, W], output
    /// <c>features</c>.</summary>
    internal static ModelProto Export(TransferModel model, int steps, long[] sample)
    {
        if (sample.Length != 3)
        {
            throw new ArgumentException($"expected a per-image shape [C, H, W], got [{string.Join(", ", sample)}]", nameof(sample));
        }
        var writer = new W();
        bool training = model.training;
        model.eval();
        try
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var x = new Value(writer.Reserve(InputName), zeros([1, .. sample]));
            writer.Graph.Input.Add(W.Value(x.Name, DataType.Float, [null, .. sample.Select(d => (long?)d)]));
            x = OnnxExporter.EmitSteps(writer, new ModuleExporter(writer), model, x, steps);
            writer.Reserve(OutputName);
            var node = new NodeProto { OpType = "Identity", Name = OutputName };
            node.Input.Add(x.Name);
            node.Output.Add(OutputName);
            writer.AddNode(node);
            writer.Graph.Output.Add(W.Value(OutputName, DataType.Float, [null, .. x.Sample.shape.Skip(1).Select(d => (long?)d)]));
            if (writer.Undefined().FirstOrDefault() is { } undefined)
            {
                throw new InvalidOperationException($"the exported prefix uses the value '{undefined}' before defining it");
            }
        }
        finally
        {
            model.train(training);
        }

        var proto = new ModelProto { IrVersion = OnnxExporter.IrVersion, ProducerName = "TLDsl", ProducerVersion = OnnxExporter.Version, Graph = writer.Graph };
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = OnnxExporter.Opset });
        return proto;
    }

    /// <summary>Images per ONNX Runtime call: the activations of a whole batch of 64 at 112x112 took ~200 MiB at the
    /// peak of a cache build; in runs of 8 they take an eighth, and ONNX Runtime's rate per image barely depends on it.</summary>
    public const int MaxImagesPerRun = 8;

    /// <summary>The output for the float32 batch <paramref name="x"/> [N, C, H, W], as a new tensor in the
    /// caller's dispose scope (call it inside one); run <see cref="MaxImagesPerRun"/> images at a time.</summary>
    public Tensor Run(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        // The temporaries belong to the caller's dispose scope (one per batch); x itself may be among them.
        var input = x.to_type(ScalarType.Float32).cpu().contiguous();
        long images = input.shape[0];
        float[] all = [];
        long[] shape = [];
        // An empty batch still makes one call, so the output keeps its per-image shape.
        for (long start = 0; start == 0 || start < images; start += MaxImagesPerRun)
        {
            long count = Math.Min(MaxImagesPerRun, images - start);
            float[] chunk = input.narrow(0, start, count).data<float>().ToArray();
            using var value = OrtValue.CreateTensorValueFromMemory(chunk, [count, .. input.shape[1..]]);
            using var outputs = _session.Run(_run, [_input], [value], [_output]);
            var output = outputs[0];
            long[] chunkShape = output.GetTensorTypeAndShape().Shape;
            var data = output.GetTensorDataAsSpan<float>();
            long perImage = count == 0 ? 0 : data.Length / count;
            if (start == 0)
            {
                shape = [images, .. chunkShape[1..]];
                all = new float[images * perImage];
            }
            data.CopyTo(all.AsSpan(checked((int)(start * perImage))));
        }
        return tensor(all, shape);
    }

    public void Dispose()
    {
        _session.Dispose();
        _run.Dispose();
    }
}
