using System;
using System.Collections.Generic;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TLDsl.Runtime.Onnx.Import;

/// <summary>A compiled node: what it runs, and the trainable module it owns (if any).</summary>
internal sealed record OnnxKernel(Func<Tensor?[], Tensor[]> Run, Module? Layer)
{
    /// <summary>Inputs the kernel holds itself (weights copied into its layer): not looked up when it runs.</summary>
    public int[] Owned { get; init; } = [];
}

/// <summary>What an op handler sees of its node.</summary>
internal sealed class OnnxNodeContext
{
    private readonly List<OnnxImportProblem> _problems;

    public OnnxNodeContext(OnnxGraph graph, OnnxNodeInfo node, long opset, List<OnnxImportProblem> problems, Func<string, Tensor>? readStatic)
    {
        Graph = graph;
        Node = node;
        Opset = opset;
        Attrs = new OnnxAttributes(node.Proto);
        _problems = problems;
        ReadStatic = readStatic;
    }

    public OnnxGraph Graph { get; }

    public OnnxNodeInfo Node { get; }

    public long Opset { get; }

    public OnnxAttributes Attrs { get; }

    /// <summary>Reads an initializer or Constant output as a tensor (import only; null while checking).</summary>
    public Func<string, Tensor>? ReadStatic { get; }

    public string Input(int i) => i < Node.Proto.Input.Count ? Node.Proto.Input[i] : string.Empty;

    public bool HasInput(int i) => Input(i).Length > 0;

    public void Problem(string message) => _problems.Add(new OnnxImportProblem(Node.DisplayName, Node.OpType, message));

    public Tensor Static(int i) => ReadStatic!(Input(i));

    public Tensor? StaticOrNull(int i) => HasInput(i) && Graph.IsStatic(Input(i)) ? ReadStatic!(Input(i)) : null;
}

