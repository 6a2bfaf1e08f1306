using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using TLDsl.Runtime.Onnx.Proto;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Onnx.Import;

/// <summary>
/// Turns an ONNX image classifier (opsets 7–17) into a trainable TorchSharp module. <see cref="Check"/> lists every
/// reason a model cannot be imported without allocating anything from it; <see cref="Import"/> throws
/// <see cref="OnnxImportException"/> with the same list.
/// </summary>
/// <remarks>
/// Layer names: a Conv/Gemm/MatMul/BatchNormalization whose weight initializer is <c>P.weight</c> is named <c>P</c>
/// (dots become <c>_</c>); otherwise the node name (scoped names <c>/a/b.c/Conv</c> keep their last two segments:
/// <c>b_c_Conv</c>); otherwise <c>OpType_index</c>. Characters outside <c>[A-Za-z0-9_]</c> become <c>_</c>; duplicates
/// get <c>_2</c>, <c>_3</c>... in topological order; <c>head</c> and <c>onnx</c> are reserved.
/// </remarks>
public static class OnnxImporter
{
    /// <summary>The lowest supported opset of the default domain.</summary>
    public const long MinOpset = OnnxOps.MinOpset;

    /// <summary>The highest supported opset of the default domain.</summary>
    public const long MaxOpset = OnnxOps.MaxOpset;

    /// <summary>The supported operators.</summary>
    public static IReadOnlyList<string> SupportedOperators => OnnxOps.Supported;

    /// <summary>Every problem that would stop <see cref="Import"/>: opset, graph structure, operators and attributes.</summary>
    public static IReadOnlyList<OnnxImportProblem> Check(OnnxModel model, OnnxImportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Analyse(model, options ?? OnnxImportOptions.Default).Problems;
    }

    /// <summary>Imports <paramref name="model"/>; its float weights are copied into the new module's parameters.</summary>
    /// <exception cref="OnnxImportException">The graph cannot be imported; the message lists every problem.</exception>
    public static OnnxGraphModule Import(OnnxModel model, OnnxImportOptions? options = null, string name = "onnx")
    {
        ArgumentNullException.ThrowIfNull(model);
        var analysis = Analyse(model, options ?? OnnxImportOptions.Default);
        if (analysis.Problems.Count > 0)
        {
            throw new OnnxImportException(model.FilePath, analysis.Problems);
        }

        var graph = analysis.Graph;
        var opset = model.GetOpsetVersion()!.Value;
        var kernels = new Dictionary<string, OnnxKernel>(StringComparer.Ordinal);
        var problems = new List<OnnxImportProblem>();
        // Every read is a new tensor: values deduplicated by the exporter (Identity aliases) untie here.
        Tensor ReadStatic(string value)
        {
            var source = graph.StaticSource(value);
            return model.Initializers.ContainsKey(source) ? model.ReadInitializer(source) : OnnxOps.ConstantTensor(model, graph.ConstantNodes[source].Proto);
        }

        foreach (var node in analysis.Plan)
        {
            var ctx = new OnnxNodeContext(graph, node, opset, problems, ReadStatic);
            var kernel = OnnxOps.Build(ctx);
            if (kernel.Layer is { } m)
            {
                foreach (var p in m.parameters())
                {
                    p.DetachFromDisposeScope();
                }
            }

            kernels[node.Layer] = kernel;
        }

        var statics = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var node in analysis.Plan)
        {
            var kernel = kernels[node.Layer];
            for (int i = 0; i < node.Proto.Input.Count; i++)
            {
                var value = node.Proto.Input[i];
                bool constant = graph.IsInitializer(value) || graph.StaticSource(value) != value;
                if (value.Length > 0 && !kernel.Owned.Contains(i) && constant && !statics.ContainsKey(value))
                {
                    statics[value] = ReadStatic(value).DetachFromDisposeScope();
                }
            }
        }

        var compiled = new OnnxCompiledGraph(graph, analysis.Input, analysis.Output, kernels, statics, analysis.InputShape);
        return new OnnxGraphModule(name, compiled, analysis.Output);
    }

    /// <summary>The channels of the model's image input: declared by the graph input ([N, C, H, W] with C fixed), else
    /// those of a Conv that reads the input directly, else 3. Cheap: nothing is imported.</summary>
    public static int InputChannels(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var input = model.InputNames.Count > 0 ? model.InputNames[0] : string.Empty;
        return new OnnxGraph(model, []).InputChannels(input, InputShape(model, input));
    }

    private sealed record Analysis(OnnxGraph Graph, List<OnnxNodeInfo> Plan, string Input, string Output, long?[] InputShape, List<OnnxImportProblem> Problems);

    private static Analysis Analyse(OnnxModel model, OnnxImportOptions options)
    {
        var problems = new List<OnnxImportProblem>();
        var opset = model.GetOpsetVersion();
        if (opset is null)
        {
            problems.Add(new(null, null, "the model imports no opset of the default ONNX domain"));
        }
        else if (opset < OnnxOps.MinOpset || opset > OnnxOps.MaxOpset)
        {
            problems.Add(new(null, null, string.Create(CultureInfo.InvariantCulture,
                $"opset {opset} is not supported; supported: {OnnxOps.MinOpset} to {OnnxOps.MaxOpset}")));
        }

        var graph = new OnnxGraph(model, options.ReservedNames);
        problems.AddRange(graph.StructuralProblems);
        if (model.InputNames.Count != 1)
        {
            problems.Add(new(null, null, $"the graph must have exactly one input (an image batch); it has {model.InputNames.Count}: {string.Join(", ", model.InputNames)}"));
        }

        var output = options.Output ?? (model.OutputNames.Count > 0 ? model.OutputNames[0] : null);
        if (output is null)
        {
            problems.Add(new(null, null, "the graph has no output"));
        }
        else if (options.Output is not null && !graph.Producer.ContainsKey(output))
        {
            problems.Add(new(null, null, $"no node produces the requested output '{output}'"));
        }

        var input = model.InputNames.Count > 0 ? model.InputNames[0] : string.Empty;
        var inputShape = InputShape(model, input);
        var plan = output is null || graph.StructuralProblems.Count > 0 ? [] : graph.Plan(output);
        foreach (var node in plan)
        {
            OnnxOps.Check(new OnnxNodeContext(graph, node, opset ?? OnnxOps.MaxOpset, problems, null));
        }

        return new Analysis(graph, plan, input, output ?? string.Empty, inputShape, problems);
    }

    private static long?[] InputShape(OnnxModel model, string input)
    {
        var info = model.Graph.Input.FirstOrDefault(v => v.Name == input);
        var dims = info?.Type?.TensorType?.Shape?.Dim;
        if (dims is null)
        {
            return [];
        }

        return dims.Select(d => d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue && d.DimValue > 0 ? d.DimValue : (long?)null).ToArray();
    }
}
