using System;
using System.Collections.Generic;
using System.Linq;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Onnx.Import;

/// <summary>The imported graph shared by an <see cref="OnnxGraphModule"/> and its cut views: nodes, kernels, constants.</summary>
internal sealed class OnnxCompiledGraph
{
    private readonly Dictionary<string, List<OnnxNodeInfo>> _plans = new(StringComparer.Ordinal);

    public OnnxCompiledGraph(OnnxGraph graph, string input, string output, Dictionary<string, OnnxKernel> kernels,
        Dictionary<string, Tensor> statics, long?[] inputShape)
    {
        Graph = graph;
        Input = input;
        Output = output;
        Kernels = kernels;
        Statics = statics;
        InputShape = inputShape;
        var plan = Plan(output);
        var last = plan.LastOrDefault(n => kernels[n.Layer].Layer is { } m && m.parameters().Any());
        Classifier = last is not null && last.OpType is "Gemm" or "MatMul" or "Conv" ? last.Layer : null;
    }

    public OnnxGraph Graph { get; }

    public string Input { get; }

    public string Output { get; }

    public Dictionary<string, OnnxKernel> Kernels { get; }

    public Dictionary<string, Tensor> Statics { get; }

    public long?[] InputShape { get; }

    public string? Classifier { get; }

    public List<OnnxNodeInfo> Plan(string output)
    {
        lock (_plans)
        {
            if (!_plans.TryGetValue(output, out var plan))
            {
                plan = Graph.Plan(output);
                _plans[output] = plan;
            }

            return plan;
        }
    }

    /// <summary>Runs <paramref name="plan"/> and returns the value <paramref name="output"/> (a new tensor in the caller's scope).</summary>
    public Tensor Run(Tensor input, string output, List<OnnxNodeInfo> plan, Action<OnnxNodeInfo, Tensor>? observe = null)
    {
        using var scope = NewDisposeScope();
        var env = new Dictionary<string, Tensor>(StringComparer.Ordinal) { [Input] = input };
        foreach (var node in plan)
        {
            var kernel = Kernels[node.Layer];
            var proto = node.Proto;
            var args = new Tensor?[proto.Input.Count];
            for (int i = 0; i < args.Length; i++)
            {
                var name = proto.Input[i];
                if (name.Length == 0 || kernel.Owned.Contains(i))
                {
                    continue;
                }

                args[i] = env.TryGetValue(name, out var v) ? v : Statics[name];
            }

            var outs = kernel.Run(args);
            for (int o = 0; o < outs.Length && o < proto.Output.Count; o++)
            {
                if (proto.Output[o].Length > 0)
                {
                    env[proto.Output[o]] = outs[o];
                }
            }

            if (observe is not null && outs.Length > 0)
            {
                observe(node, outs[0]);
            }
        }

        var result = env.TryGetValue(output, out var r) ? r : Statics[output];
        if (ReferenceEquals(result, input) || Statics.ContainsValue(result))
        {
            result = result.alias();
        }

        return result.MoveToOuterDisposeScope();
    }
}
