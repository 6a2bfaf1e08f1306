using System;
using System.Collections.Generic;
using System.Linq;
using BindingFlags = System.Reflection.BindingFlags;
using TLDsl.Runtime.Models;
using TLDsl.Runtime.Onnx.Import;
using TLDsl.Runtime.Surgery;
using TLDsl.Spec.Registries;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Module = TorchSharp.torch.nn.Module;
using W = TLDsl.Runtime.Onnx.Export.OnnxGraphWriter;

namespace TLDsl.Runtime.Onnx.Export;

/// <summary>An ONNX value and the TorchSharp activation it holds for one sample image (the exporter runs the model
/// alongside: shapes such as an adaptive pool's input come from the real activations).</summary>
internal readonly record struct Value(string Name, Tensor Sample);

/// <summary>
/// Writes TorchSharp modules as ONNX nodes with inference semantics (BatchNorm on running statistics, dropout gone),
/// by module type: every module kind of the catalogue models, of the head layers, and imported ONNX graphs. Each
/// module also runs on the sample so that the next one sees real shapes. A module kind not listed is an
/// <see cref="OnnxExportException"/> naming it (nothing is written: the file is built in memory first).
/// </summary>
internal sealed class ModuleExporter(W writer)
{
    /// <summary>The module kinds this exporter writes (for the error message).</summary>
    internal const string KnownKinds = "Sequential, Conv2d, BatchNorm1d/2d, Linear, LayerNorm, ReLU, ReLU6, GELU, SiLU, Hardswish, Hardsigmoid, Sigmoid, Tanh, "
        + "Dropout (all kinds), Identity, Flatten, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, AdaptiveMaxPool2d, GlobalPool, ResNet BasicBlock/Bottleneck, "
        + "MobileNetV2/V3 InvertedResidual, SqueezeExcitation, an imported ONNX graph";

    /// <summary>Writes <paramref name="module"/> applied to <paramref name="x"/>.</summary>
    /// <param name="module">The module.</param>
    /// <param name="x">Its input.</param>
    /// <param name="path">The module's name in the model (for node names and errors).</param>
    public Value Emit(Module module, Value x, string path)
    {
        switch (module)
        {
            case Sequential sequential:
                foreach (var (name, child) in sequential.named_children())
                {
                    x = Emit(child, x, Join(path, name));
                }

                return x;
            case Conv2d conv:
                return Conv(conv, x, path);
            case BatchNorm1d or BatchNorm2d:
                return BatchNorm((BatchNorm)module, x, path);
            case Linear linear:
                return LinearLayer(linear, x, path);
            case LayerNorm norm:
                return LayerNormLayer(norm, x, path);
            case ReLU:
                return Unary("Relu", module, x, path);
            case ReLU6:
                return Run(module, x, writer.Node("Clip", path, [x.Name, writer.Scalar(path + ".min", 0f), writer.Scalar(path + ".max", 6f)]));
            case Hardswish:
                return Unary("HardSwish", module, x, path);
            case Hardsigmoid:
                return Run(module, x, writer.Node("HardSigmoid", path, [x.Name], W.Float("alpha", 1f / 6f), W.Float("beta", 0.5f)));
            case Sigmoid:
                return Unary("Sigmoid", module, x, path);
            case Tanh:
                return Unary("Tanh", module, x, path);
            case SiLU:
                return Run(module, x, writer.Node("Mul", path, [x.Name, writer.Node("Sigmoid", path, [x.Name])]));
            case GELU gelu:
                return Gelu(gelu, x, path);
            case Dropout or Dropout1d or Dropout2d or Dropout3d or AlphaDropout or FeatureAlphaDropout or Identity:
                return x; // inference: the identity
            case Flatten flatten:
                return FlattenLayer(flatten, x, path);
            case MaxPool2d pool:
                return Run(module, x, writer.Node("MaxPool", path, [x.Name],
                    W.Ints("kernel_shape", pool.kernel_size), W.Ints("strides", pool.stride is { Length: > 0 } s ? s : pool.kernel_size),
                    W.Ints("pads", Pads(pool.padding ?? [0, 0])), W.Ints("dilations", pool.dilation ?? [1, 1]), W.Int("ceil_mode", pool.ceil_mode ? 1 : 0)));
            case AvgPool2d pool:
                if (pool.divisor_override is not null)
                {
                    throw Unsupported(path, module, "divisor_override has no ONNX equivalent");
                }

                return Run(module, x, writer.Node("AveragePool", path, [x.Name],
                    W.Ints("kernel_shape", pool.kernel_size), W.Ints("strides", pool.stride is { Length: > 0 } s2 ? s2 : pool.kernel_size),
                    W.Ints("pads", Pads(pool.padding ?? [0L, 0L])), W.Int("ceil_mode", pool.ceil_mode ? 1 : 0), W.Int("count_include_pad", pool.count_include_pad ? 1 : 0)));
            case AdaptiveAvgPool2d pool:
                return AdaptivePool(module, pool.output_size, x, path, average: true);
            case AdaptiveMaxPool2d pool:
                return AdaptivePool(module, pool.output_size, x, path, average: false);
            case GlobalPool pool:
                return GlobalPoolLayer(pool, x, path);
            case BasicBlock or Bottleneck:
                return ResidualBlock(module, x, path);
            case OnnxGraphModule graph:
                return new ImportedGraphExporter(writer).Emit(graph, x, path);
            default:
                return TorchVisionBlock(module, x, path) ?? throw Unknown(path, module);
        }
    }

    /// <summary>Runs <paramref name="module"/> on the sample and pairs the result with the node output.</summary>
    private static Value Run(Module module, Value x, string output) => new(output, ((torch.nn.Module<Tensor, Tensor>)module).call(x.Sample));

    private Value Unary(string op, Module module, Value x, string path) => Run(module, x, writer.Node(op, path, [x.Name]));

    private Value Conv(Conv2d conv, Value x, string path)
    {
        if (conv.padding_type is not null || conv.padding_mode != PaddingModes.Zeros)
        {
            throw Unsupported(path, conv, "only explicit zero padding is exported");
        }

        var inputs = new List<string> { x.Name, writer.Initializer(path + ".weight", conv.weight!) };
        if (conv.bias is { } bias)
        {
            inputs.Add(writer.Initializer(path + ".bias", bias));
        }

        return Run(conv, x, writer.Node("Conv", path, inputs,
            W.Ints("kernel_shape", conv.kernel_size), W.Ints("strides", conv.stride), W.Ints("pads", Pads(conv.padding ?? [0L, 0L])),
            W.Ints("dilations", conv.dilation), W.Int("group", conv.groups)));
    }

    private Value BatchNorm(BatchNorm bn, Value x, string path)
    {
        if (bn.running_mean is null || bn.running_var is null)
        {
            throw Unsupported(path, bn, "a BatchNorm without running statistics normalises with batch statistics even at inference");
        }

        long channels = bn.running_mean.shape[0];
        using var ones = torch.ones(channels);
        using var zeros = torch.zeros(channels);
        var inputs = new[]
        {
            x.Name,
            writer.Initializer(path + ".weight", bn.weight ?? ones),
            writer.Initializer(path + ".bias", bn.bias ?? zeros),
            writer.Initializer(path + ".running_mean", bn.running_mean),
            writer.Initializer(path + ".running_var", bn.running_var),
        };
        return Run(bn, x, writer.Node("BatchNormalization", path, inputs, W.Float("epsilon", (float)bn.eps)));
    }

    private Value LinearLayer(Linear linear, Value x, string path)
    {
        string weight = writer.Initializer(path + ".weight", linear.weight!);
        if (x.Sample.dim() == 2)
        {
            var inputs = new List<string> { x.Name, weight };
            if (linear.bias is { } bias)
            {
                inputs.Add(writer.Initializer(path + ".bias", bias));
            }

            return Run(linear, x, writer.Node("Gemm", path, inputs, W.Int("transB", 1)));
        }

        // Beyond 2-D: x @ W^T (+ b) over the last dimension.
        using var transposed = linear.weight!.t();
        string y = writer.Node("MatMul", path, [x.Name, writer.Initializer(path + ".weight_t", transposed)]);
        if (linear.bias is { } b)
        {
            y = writer.Node("Add", path, [y, writer.Initializer(path + ".bias", b)]);
        }

        return Run(linear, x, y);
    }

    private Value LayerNormLayer(LayerNorm norm, Value x, string path)
    {
        var shape = norm.normalized_shape;
        using var ones = torch.ones(shape);
        using var zeros = torch.zeros(shape);
        var inputs = new[] { x.Name, writer.Initializer(path + ".weight", norm.weight ?? ones), writer.Initializer(path + ".bias", norm.bias ?? zeros) };
        return Run(norm, x, writer.Node("LayerNormalization", path, inputs, W.Int("axis", -shape.Length), W.Float("epsilon", (float)norm.eps)));
    }

    private Value Gelu(GELU gelu, Value x, string path)
    {
        string half = writer.Node("Mul", path, [x.Name, writer.Scalar(path + ".half", 0.5f)]);
        string inner;
        if (gelu.approximate.ToString() == "tanh")
        {
            // tanh(sqrt(2/pi) * (x + 0.044715 x^3))
            string cube = writer.Node("Mul", path, [x.Name, writer.Node("Mul", path, [x.Name, x.Name])]);
            string sum = writer.Node("Add", path, [x.Name, writer.Node("Mul", path, [cube, writer.Scalar(path + ".c", 0.044715f)])]);
            inner = writer.Node("Tanh", path, [writer.Node("Mul", path, [sum, writer.Scalar(path + ".k", (float)Math.Sqrt(2 / Math.PI))])]);
        }
        else
        {
            inner = writer.Node("Erf", path, [writer.Node("Div", path, [x.Name, writer.Scalar(path + ".sqrt2", (float)Math.Sqrt(2))])]);
        }

        string onePlus = writer.Node("Add", path, [inner, writer.Scalar(path + ".one", 1f)]);
        return Run(gelu, x, writer.Node("Mul", path, [half, onePlus]));
    }

    private Value FlattenLayer(Flatten flatten, Value x, string path)
    {
        long rank = x.Sample.dim();
        long end = flatten.end_dim < 0 ? flatten.end_dim + rank : flatten.end_dim;
        if (flatten.start_dim == 1 && end == rank - 1)
        {
            return Run(flatten, x, writer.Node("Flatten", path, [x.Name], W.Int("axis", 1)));
        }

        var y = ((torch.nn.Module<Tensor, Tensor>)flatten).call(x.Sample);
        if (flatten.start_dim == 0)
        {
            throw Unsupported(path, flatten, "flattening the batch dimension cannot keep the batch dynamic");
        }

        long[] shape = [0, .. y.shape.Skip(1)];
        return new Value(writer.Node("Reshape", path, [x.Name, writer.Int64s(path + ".shape", shape)]), y);
    }

    /// <summary>Adaptive pooling at the known input size: global, a plain pool when the size divides evenly, or (average
    /// only) the exact bin averages as two matrix products (the bins of torch's adaptive pool may overlap).</summary>
    private Value AdaptivePool(Module module, long[] outputSize, Value x, string path, bool average)
    {
        long h = x.Sample.shape[2], w = x.Sample.shape[3];
        long oh = outputSize.Length > 0 && outputSize[0] > 0 ? outputSize[0] : h;
        long ow = outputSize.Length > 1 ? (outputSize[1] > 0 ? outputSize[1] : w) : oh;
        if (oh == 1 && ow == 1)
        {
            return Run(module, x, writer.Node(average ? "GlobalAveragePool" : "GlobalMaxPool", path, [x.Name]));
        }

        if (h % oh == 0 && w % ow == 0)
        {
            long[] kernel = [h / oh, w / ow];
            return Run(module, x, writer.Node(average ? "AveragePool" : "MaxPool", path, [x.Name], W.Ints("kernel_shape", kernel), W.Ints("strides", kernel)));
        }

        if (!average)
        {
            throw Unsupported(path, module, $"adaptive max pooling from {h}x{w} to {oh}x{ow} (not a whole multiple) has no ONNX equivalent; choose an input size that divides evenly");
        }

        // out = Ph [oh, h] @ x @ Pw^T [w, ow]; row i of P averages input indices [floor(i*in/out), ceil((i+1)*in/out)).
        string right = writer.Node("MatMul", path, [x.Name, writer.Floats(path + ".cols", BinMatrix(w, ow, transpose: true), [w, ow])]);
        string both = writer.Node("MatMul", path, [writer.Floats(path + ".rows", BinMatrix(h, oh, transpose: false), [oh, h]), right]);
        return Run(module, x, both);
    }

    private static float[] BinMatrix(long input, long output, bool transpose)
    {
        var m = new float[input * output];
        for (long i = 0; i < output; i++)
        {
            long start = i * input / output;
            long end = ((i + 1) * input + output - 1) / output;
            for (long j = start; j < end; j++)
            {
                m[transpose ? (j * output) + i : (i * input) + j] = 1f / (end - start);
            }
        }

        return m;
    }

    private Value GlobalPoolLayer(GlobalPool pool, Value x, string path)
    {
        string Flat(string op) => writer.Node("Flatten", path, [writer.Node(op, path, [x.Name])], W.Int("axis", 1));
        string y = pool.Kind switch
        {
            HeadLayerKind.AvgPool => Flat("GlobalAveragePool"),
            HeadLayerKind.MaxPool => Flat("GlobalMaxPool"),
            HeadLayerKind.ConcatPool => writer.Node("Concat", path, [Flat("GlobalAveragePool"), Flat("GlobalMaxPool")], W.Int("axis", 1)),
            _ => throw new InvalidOperationException($"unknown global pool kind {pool.Kind}"),
        };
        return Run(pool, x, y);
    }

    /// <summary>ResNet's BasicBlock and Bottleneck: relu(main(x) + shortcut(x)).</summary>
    private Value ResidualBlock(Module block, Value x, string path)
    {
        var children = block.named_children().ToDictionary(c => c.name, c => c.module, StringComparer.Ordinal);
        Value Child(string name, Value v) => Emit(children[name], v, Join(path, name));
        var identity = children.ContainsKey("downsample") ? Child("downsample", x) : x;
        var y = Child("relu", Child("bn1", Child("conv1", x)));
        y = Child("bn2", Child("conv2", y));
        if (block is Bottleneck)
        {
            y = Child("bn3", Child("conv3", Child("relu", y)));
        }

        var sum = new Value(writer.Node("Add", path, [y.Name, identity.Name]), y.Sample + identity.Sample);
        return Child("relu", sum);
    }

    /// <summary>TorchVision's MobileNet blocks (private types, recognised by name): InvertedResidual (its one child
    /// Sequential, plus the input when <c>use_res_connect</c>) and SqueezeExcitation (input times the scale branch).</summary>
    private Value? TorchVisionBlock(Module module, Value x, string path)
    {
        var type = module.GetType();
        if (type.Assembly != typeof(torchvision).Assembly && type.Assembly != typeof(MobileNetV2).Assembly)
        {
            return null;
        }

        var children = module.named_children().ToList();
        if (type.Name == "InvertedResidual" && children.Count == 1
            && type.GetField("use_res_connect", BindingFlags.Instance | BindingFlags.NonPublic)?.GetValue(module) is bool residual)
        {
            var y = Emit(children[0].module, x, Join(path, children[0].name));
            return residual ? new Value(writer.Node("Add", path, [x.Name, y.Name]), x.Sample + y.Sample) : y;
        }

        if (type.Name == "SqueezeExcitation")
        {
            var byName = children.ToDictionary(c => c.name, c => c.module, StringComparer.Ordinal);
            var scale = x;
            foreach (var name in new[] { "avgpool", "fc1", "activation", "fc2", "scale_activation" })
            {
                scale = Emit(byName[name], scale, Join(path, name));
            }

            return new Value(writer.Node("Mul", path, [scale.Name, x.Name]), scale.Sample * x.Sample);
        }

        return null;
    }

    private static long[] Pads(long[] padding) => padding.Length == 2 ? [padding[0], padding[1], padding[0], padding[1]] : [.. padding, .. padding];

    private static string Join(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";

    private static OnnxExportException Unknown(string path, Module module) =>
        new($"cannot export the module '{path}' ({module.GetType().FullName}) to ONNX: the exporter does not know this module kind. Known: {KnownKinds}.");

    private static OnnxExportException Unsupported(string path, Module module, string why) =>
        new($"cannot export the module '{path}' ({module.GetType().Name}) to ONNX: {why}.");
}
