using System;
using System.Collections.Generic;
using System.Linq;
using TLDsl.Runtime.Surgery;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TLDsl.Runtime.Onnx.Import;

/// <summary>One layer of an imported graph: an ONNX node under its stable name.</summary>
/// <param name="Name">The layer name (see <see cref="OnnxImporter"/> for the rule); also the module name of a
/// trainable layer, so its state-dict keys are <c>Name.weight</c>, <c>Name.bias</c>, ...</param>
/// <param name="OpType">The ONNX operator.</param>
/// <param name="NodeName">The node's name in the file (may be empty).</param>
/// <param name="Module">The TorchSharp module holding its parameters/state (Conv2d, Linear, BatchNorm2d, Dropout), or null.</param>
public sealed record OnnxLayer(string Name, string OpType, string NodeName, Module? Module);

/// <summary>
/// An ONNX graph imported as a trainable TorchSharp module: runs the nodes in topological order; Conv, Gemm and
/// MatMul (with a constant weight) are <see cref="TorchSharp.Modules.Conv2d"/> / <see cref="TorchSharp.Modules.Linear"/>
/// children, BatchNormalization a <see cref="TorchSharp.Modules.BatchNorm2d"/> (running statistics update in train
/// mode), Dropout a <see cref="TorchSharp.Modules.Dropout"/>; other initializers and Constants are non-persistent
/// buffers. Children are named after the layers, so state-dict keys are <c>&lt;layer&gt;.weight</c>.
/// A module can stop at any layer: <see cref="ForwardTo"/>, <see cref="UpTo"/>, <see cref="Before"/>.
/// </summary>
public sealed class OnnxGraphModule : Module<Tensor, Tensor>, IGraphBackbone
{
    private readonly OnnxCompiledGraph _graph;
    private readonly List<OnnxNodeInfo> _plan;
    private IReadOnlyList<IReadOnlyList<string>>? _stages;

    internal OnnxGraphModule(string name, OnnxCompiledGraph graph, string output) : base(name)
    {
        _graph = graph;
        OutputValue = output;
        _plan = graph.Plan(output);
        Layers = _plan.Select(n => new OnnxLayer(n.Layer, n.OpType, n.Proto.Name, graph.Kernels[n.Layer].Layer)).ToList();
        foreach (var layer in Layers.Where(l => l.Module is not null))
        {
            register_module(layer.Name, layer.Module!);
        }

        int index = 0;
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in _plan)
        {
            var kernel = graph.Kernels[node.Layer];
            for (int i = 0; i < node.Proto.Input.Count; i++)
            {
                var value = node.Proto.Input[i];
                if (!kernel.Owned.Contains(i) && graph.Statics.TryGetValue(value, out var t) && used.Add(value))
                {
                    register_buffer($"const_{index++}", t, persistent: false);
                }
            }
        }
    }

    /// <summary>The compiled graph and the nodes this module runs (the ONNX exporter rewrites them with trained weights).</summary>
    internal (OnnxCompiledGraph Graph, IReadOnlyList<OnnxNodeInfo> Plan) Compiled => (_graph, _plan);

    /// <summary>The file's ONNX model.</summary>
    public OnnxModel Model => _graph.Graph.Model;

    /// <summary>The graph input this module reads.</summary>
    public string InputValue => _graph.Input;

    /// <summary>The declared input shape ([N, C, H, W]; null entries are symbolic).</summary>
    public IReadOnlyList<long?> InputShape => _graph.InputShape;

    /// <summary>The ONNX value this module returns (the graph output, or the value at a cut).</summary>
    public string OutputValue { get; }

    /// <summary>The layers this module runs, in run order.</summary>
    public IReadOnlyList<OnnxLayer> Layers { get; }

    /// <summary>Every layer name, in run order (the names freeze, drop and cut rules use).</summary>
    public IReadOnlyList<string> LayerNames => Layers.Select(l => l.Name).ToList();

    /// <summary>The last Gemm, MatMul or Conv of the whole graph when no other trainable layer follows it (what
    /// <c>drop: classifier</c> removes), or null for a headless graph.</summary>
    public string? Classifier => _graph.Classifier;

    /// <summary>Proposed stages for <c>first_stages: N</c>, computed at the declared input size (224 where symbolic).</summary>
    public IReadOnlyList<IReadOnlyList<string>> Stages => _stages ??= ProposeStages(DefaultHeight, DefaultWidth);

    internal int DefaultHeight => (int)(_graph.InputShape.Length == 4 && _graph.InputShape[2] is { } h ? h : 224);

    internal int DefaultWidth => (int)(_graph.InputShape.Length == 4 && _graph.InputShape[3] is { } w ? w : 224);

    /// <summary>The input's channels (see <see cref="OnnxGraph.InputChannels"/>).</summary>
    internal int InputChannels => _graph.Graph.InputChannels(_graph.Input, _graph.InputShape);

    /// <inheritdoc/>
    public override Tensor forward(Tensor input) => _graph.Run(input, OutputValue, _plan);

    /// <summary>Runs the graph only as far as needed and returns the output of layer <paramref name="layer"/>.</summary>
    public Tensor ForwardTo(Tensor input, string layer) => _graph.Run(input, OutputOf(layer), _graph.Plan(OutputOf(layer)));

    /// <summary>A module over the same layers that stops after <paramref name="layer"/> (returns its output).</summary>
    public OnnxGraphModule UpTo(string layer) => new(GetName(), _graph, OutputOf(layer));

    /// <summary>A module over the same layers that returns the data input of <paramref name="layer"/>: the layer and
    /// everything only it needs are dropped (<c>drop: [Gemm_5]</c>).</summary>
    public OnnxGraphModule Before(string layer) => new(GetName(), _graph, InputOf(layer));

    /// <summary>This graph without its classifier (the features), or itself when headless.</summary>
    public OnnxGraphModule WithoutClassifier() => Classifier is null ? this : Before(Classifier);

    Module<Tensor, Tensor> IGraphBackbone.Truncate(string layer, bool keepLayer) => keepLayer ? UpTo(layer) : Before(layer);

    /// <summary>Groups the layers into stages: a new stage starts at each Conv, MaxPool or AveragePool whose output is
    /// spatially smaller than the current stage's; the classifier and what follows it belong to no stage.</summary>
    public IReadOnlyList<IReadOnlyList<string>> ProposeStages(int height, int width)
    {
        var shapes = ProbeShapes(height, width);
        var featureLayers = (Classifier is null ? _plan : _graph.Plan(InputOf(Classifier))).Select(n => n.Layer).ToHashSet(StringComparer.Ordinal);
        var stages = new List<List<string>>();
        long current = -1;
        foreach (var node in _plan.Where(n => featureLayers.Contains(n.Layer)))
        {
            var shape = shapes.TryGetValue(node.Layer, out var s) ? s : [];
            // A pool to 1x1 (global pooling written as AveragePool) ends the last stage rather than starting one.
            bool reduces = shape.Length == 4 && node.OpType is "Conv" or "MaxPool" or "AveragePool" && current > 0 && shape[2] < current
                && !(node.OpType != "Conv" && shape[2] == 1 && shape[3] == 1);
            if (stages.Count == 0 || reduces)
            {
                stages.Add([]);
            }

            if (shape.Length == 4 && node.OpType is "Conv" or "MaxPool" or "AveragePool" && (current < 0 || shape[2] < current))
            {
                current = shape[2];
            }

            stages[^1].Add(node.Layer);
        }

        return stages;
    }

    /// <summary>Each layer's first output shape for one zero image (eval mode, no grad).</summary>
    internal Dictionary<string, long[]> ProbeShapes(int height, int width)
    {
        var shapes = new Dictionary<string, long[]>(StringComparer.Ordinal);
        var modes = Layers.Where(l => l.Module is not null).Select(l => (l.Module!, l.Module!.training)).ToList();
        try
        {
            foreach (var (m, _) in modes)
            {
                m.eval();
            }

            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            using var x = zeros(1, InputChannels, height, width);
            _graph.Run(x, OutputValue, _plan, (node, t) => shapes[node.Layer] = t.shape);
        }
        finally
        {
            foreach (var (m, training) in modes)
            {
                m.train(training);
            }
        }

        return shapes;
    }

    private OnnxNodeInfo Node(string layer) =>
        _graph.Graph.ByLayer.TryGetValue(layer, out var node) ? node
        : throw new SurgeryException($"the ONNX graph has no layer '{layer}'; layers: {string.Join(", ", _graph.Graph.Nodes.Select(n => n.Layer).Take(40))}{(_graph.Graph.Nodes.Count > 40 ? ", ..." : "")}");

    private string OutputOf(string layer) => Node(layer).Proto.Output[0];

    private string InputOf(string layer)
    {
        var node = Node(layer);
        return node.Proto.Input.FirstOrDefault(i => i.Length > 0)
            ?? throw new SurgeryException($"the ONNX layer '{layer}' has no input to stop at");
    }
}
