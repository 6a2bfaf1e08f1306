using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using TLDsl.Runtime.Onnx.Proto;

namespace TLDsl.Runtime.Onnx.Import;

/// <summary>One ONNX node with its stable layer name, in the order the graph runs.</summary>
/// <param name="Layer">The sanitised, unique layer name (see <see cref="OnnxGraph"/>).</param>
/// <param name="Proto">The node.</param>
/// <param name="FileIndex">The node's position in the file.</param>
internal sealed record OnnxNodeInfo(string Layer, NodeProto Proto, int FileIndex)
{
    public string OpType => Proto.OpType;

    public string DisplayName => Proto.Name.Length > 0 ? Proto.Name : Layer;
}

/// <summary>
/// The structure of an ONNX graph: nodes sorted topologically (ties keep file order), a layer name per node, the
/// producers of every value, and the structural problems (dangling inputs, cycles, duplicate outputs).
/// </summary>
/// <remarks>
/// Layer naming rule, applied to nodes in topological order:
/// <list type="number">
/// <item>a Conv, Gemm, MatMul or BatchNormalization whose weight (scale) initializer is called <c>P.weight</c> (and not
/// <c>onnx::...</c>) is named after <c>P</c> (<c>features.0.0.weight</c> → <c>features_0_0</c>);</item>
/// <item>otherwise the node's own name; for a scoped name such as <c>/features/features.0/Conv</c> its last two
/// segments (<c>features_0_Conv</c>);</item>
/// <item>otherwise <c>&lt;OpType&gt;_&lt;position&gt;</c>.</item>
/// </list>
/// Every character outside <c>[A-Za-z0-9_]</c> becomes <c>_</c> (dots too: layers are direct children of one module,
/// so a name cannot contain a dot), runs of <c>_</c> collapse, leading and trailing <c>_</c> go, and a name that would
/// start with a digit gets the op type in front. A name already taken (or reserved) gets <c>_2</c>, <c>_3</c>, ...
/// The rule depends only on the file, so the names are stable across imports.
/// <para>Identity nodes over constant data are followed, not run: PyTorch's exporter deduplicates equal initializers
/// (the zero biases of a freshly initialised model) into one initializer plus <c>Identity</c> nodes that give it the
/// other names. Such a node is dropped from <see cref="Nodes"/> and its output becomes an alias of the constant
/// (<see cref="StaticSource"/>), so every consumer keeps its own name and reads its own copy: tied parameters untie,
/// and each trains on its own.</para>
/// </remarks>
internal sealed class OnnxGraph
{
    private static readonly HashSet<string> WeightedOps = new(StringComparer.Ordinal) { "Conv", "Gemm", "MatMul", "BatchNormalization" };

    public OnnxGraph(OnnxModel model, IReadOnlyCollection<string> reserved)
    {
        Model = model;
        var graph = model.Graph;
        var problems = new List<OnnxImportProblem>();
        Inputs = model.InputNames;
        Outputs = model.OutputNames;
        var known = new HashSet<string>(model.InitializerNames, StringComparer.Ordinal);
        foreach (var i in Inputs)
        {
            known.Add(i);
        }

        _aliases = ConstantAliases(graph.Node, new HashSet<string>(model.InitializerNames, StringComparer.Ordinal), Outputs);
        known.UnionWith(_aliases.Keys);
        var kept = Enumerable.Range(0, graph.Node.Count).Where(n => !IsAlias(graph.Node[n])).ToList();

        var producer = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var n in kept)
        {
            foreach (var o in graph.Node[n].Output.Where(o => o.Length > 0))
            {
                if (known.Contains(o) || !producer.TryAdd(o, n))
                {
                    problems.Add(new OnnxImportProblem(Display(graph.Node[n], n), graph.Node[n].OpType,
                        $"output '{o}' is already produced by another node, an initializer or a graph input"));
                }
            }
        }

        // Dangling inputs.
        foreach (var n in kept)
        {
            foreach (var i in graph.Node[n].Input.Where(i => i.Length > 0))
            {
                if (!known.Contains(i) && !producer.ContainsKey(i))
                {
                    problems.Add(new OnnxImportProblem(Display(graph.Node[n], n), graph.Node[n].OpType,
                        $"input '{i}' is not produced by any node and is neither a graph input nor an initializer (dangling input)"));
                }
            }
        }

        foreach (var o in Outputs)
        {
            if (!known.Contains(o) && !producer.ContainsKey(o))
            {
                problems.Add(new OnnxImportProblem(null, null, $"graph output '{o}' is not produced by any node"));
            }
        }

        // Kahn's algorithm; among ready nodes the earliest in the file goes first, so a sorted file keeps its order.
        var indegree = new int[graph.Node.Count];
        var consumers = new List<int>[graph.Node.Count];
        for (int n = 0; n < graph.Node.Count; n++)
        {
            consumers[n] = [];
        }

        foreach (var n in kept)
        {
            foreach (var i in graph.Node[n].Input.Distinct())
            {
                if (i.Length > 0 && producer.TryGetValue(i, out var p))
                {
                    indegree[n]++;
                    consumers[p].Add(n);
                }
            }
        }

        var ready = new SortedSet<int>(kept.Where(n => indegree[n] == 0));
        var order = new List<int>();
        while (ready.Count > 0)
        {
            var n = ready.Min;
            ready.Remove(n);
            order.Add(n);
            foreach (var c in consumers[n])
            {
                if (--indegree[c] == 0)
                {
                    ready.Add(c);
                }
            }
        }

        if (order.Count < kept.Count)
        {
            var stuck = kept.Where(n => indegree[n] > 0).ToList();
            problems.Add(new OnnxImportProblem(null, null,
                $"the graph has a cycle: {stuck.Count} node(s) depend on each other, e.g. {string.Join(", ", stuck.Take(5).Select(n => $"'{Display(graph.Node[n], n)}' ({graph.Node[n].OpType})"))}"));
            order.AddRange(stuck);
        }

        var taken = new HashSet<string>(reserved, StringComparer.Ordinal);
        var nodes = new List<OnnxNodeInfo>();
        foreach (var n in order)
        {
            var node = graph.Node[n];
            var name = Unique(Sanitize(BaseName(node, n, model, _aliases), node.OpType, n), taken);
            nodes.Add(new OnnxNodeInfo(name, node, n));
        }

        Nodes = nodes;
        ByLayer = nodes.ToDictionary(n => n.Layer, StringComparer.Ordinal);
        Producer = new Dictionary<string, OnnxNodeInfo>(StringComparer.Ordinal);
        foreach (var node in nodes)
        {
            foreach (var o in node.Proto.Output.Where(o => o.Length > 0))
            {
                Producer.TryAdd(o, node);
            }
        }

        ConstantNodes = nodes.Where(n => n.OpType == "Constant" && n.Proto.Output.Count == 1)
            .ToDictionary(n => n.Proto.Output[0], n => n, StringComparer.Ordinal);
        StructuralProblems = problems;
    }

    private readonly Dictionary<string, string> _aliases;

    public OnnxModel Model { get; }

    public IReadOnlyList<string> Inputs { get; }

    public IReadOnlyList<string> Outputs { get; }

    public IReadOnlyList<OnnxNodeInfo> Nodes { get; }

    public IReadOnlyDictionary<string, OnnxNodeInfo> ByLayer { get; }

    public Dictionary<string, OnnxNodeInfo> Producer { get; }

    public IReadOnlyDictionary<string, OnnxNodeInfo> ConstantNodes { get; }

    public IReadOnlyList<OnnxImportProblem> StructuralProblems { get; }

    /// <summary>The nodes needed to compute <paramref name="output"/>, in run order.</summary>
    public List<OnnxNodeInfo> Plan(string output)
    {
        var needed = new HashSet<string>(StringComparer.Ordinal);
        var stack = new Stack<string>();
        stack.Push(output);
        var visited = new HashSet<string>(StringComparer.Ordinal);
        while (stack.Count > 0)
        {
            var value = stack.Pop();
            if (!visited.Add(value) || !Producer.TryGetValue(value, out var node))
            {
                continue;
            }

            needed.Add(node.Layer);
            foreach (var i in node.Proto.Input.Where(i => i.Length > 0))
            {
                stack.Push(i);
            }
        }

        return Nodes.Where(n => needed.Contains(n.Layer)).ToList();
    }

    /// <summary>The initializer or Constant output whose data <paramref name="value"/> holds: itself, or the constant a
    /// chain of Identity nodes renames.</summary>
    public string StaticSource(string value) => _aliases.TryGetValue(value, out var source) ? source : value;

    /// <summary>Whether <paramref name="value"/> names an initializer, directly or through Identity nodes.</summary>
    public bool IsInitializer(string value) => Model.Initializers.ContainsKey(StaticSource(value));

    /// <summary>The static dims of an initializer or Constant output, or null when the value is computed.</summary>
    public long[]? StaticDims(string value)
    {
        value = StaticSource(value);
        if (Model.Initializers.TryGetValue(value, out var t))
        {
            return t.Dims.ToArray();
        }

        if (ConstantNodes.TryGetValue(value, out var c))
        {
            var attrs = new OnnxAttributes(c.Proto);
            if (attrs.Tensor("value") is { } ct)
            {
                return ct.Dims.ToArray();
            }
        }

        return null;
    }

    /// <summary>The channels of the image input <paramref name="input"/>: declared in <paramref name="shape"/> ([N, C, H, W]
    /// with C fixed), else the input channels of a Conv that reads it directly, else 3.</summary>
    public int InputChannels(string input, IReadOnlyList<long?> shape)
    {
        if (shape.Count == 4 && shape[1] is { } declared)
        {
            return (int)declared;
        }

        var conv = Nodes.FirstOrDefault(n => n.OpType == "Conv" && n.Proto.Input.Count > 1 && n.Proto.Input[0] == input);
        return conv is not null && StaticDims(conv.Proto.Input[1]) is { Length: 4 } w
            ? (int)(w[1] * new OnnxAttributes(conv.Proto).Int("group", 1))
            : 3;
    }

    public bool IsStatic(string value) =>
        Model.Initializers.ContainsKey(StaticSource(value)) || ConstantNodes.ContainsKey(StaticSource(value));

    private bool IsAlias(NodeProto node) =>
        node.OpType == "Identity" && node.Domain.Length == 0 && node.Output.Count == 1 && _aliases.ContainsKey(node.Output[0]);

    /// <summary>Identity outputs that rename constant data (an initializer, a Constant's output or another such alias),
    /// mapped to that constant. A graph output stays a node.</summary>
    private static Dictionary<string, string> ConstantAliases(IList<NodeProto> nodes, HashSet<string> initializers, IReadOnlyList<string> outputs)
    {
        var constants = nodes.Where(n => n.OpType == "Constant" && n.Domain.Length == 0 && n.Output.Count == 1)
            .Select(n => n.Output[0]).ToHashSet(StringComparer.Ordinal);
        var aliases = new Dictionary<string, string>(StringComparer.Ordinal);
        var identities = nodes.Where(n => n.OpType == "Identity" && n.Domain.Length == 0 && n.Input.Count == 1 && n.Output.Count == 1
            && n.Output[0].Length > 0 && !outputs.Contains(n.Output[0]) && !initializers.Contains(n.Output[0])).ToList();
        // Chains can appear in any file order: repeat until nothing new resolves.
        for (bool changed = true; changed;)
        {
            changed = false;
            foreach (var node in identities.Where(n => !aliases.ContainsKey(n.Output[0])))
            {
                var input = node.Input[0];
                var source = aliases.TryGetValue(input, out var s) ? s : initializers.Contains(input) || constants.Contains(input) ? input : null;
                if (source is not null && source != node.Output[0])
                {
                    aliases[node.Output[0]] = source;
                    changed = true;
                }
            }
        }

        return aliases;
    }

    private static string Display(NodeProto node, int index) =>
        node.Name.Length > 0 ? node.Name : string.Create(CultureInfo.InvariantCulture, $"#{index} {node.OpType}");

    private static string BaseName(NodeProto node, int index, OnnxModel model, Dictionary<string, string> aliases)
    {
        int weightInput = 1;
        if (WeightedOps.Contains(node.OpType) && node.Input.Count > weightInput
            && (model.Initializers.ContainsKey(node.Input[weightInput]) || aliases.ContainsKey(node.Input[weightInput])))
        {
            var w = node.Input[weightInput];
            if (w.EndsWith(".weight", StringComparison.Ordinal) && !w.StartsWith("onnx::", StringComparison.Ordinal) && w.Length > 7)
            {
                return w[..^7];
            }
        }

        if (node.Name.Length > 0)
        {
            var segments = node.Name.Split('/', StringSplitOptions.RemoveEmptyEntries);
            return segments.Length >= 2 ? segments[^2] + "_" + segments[^1] : node.Name;
        }

        return string.Create(CultureInfo.InvariantCulture, $"{node.OpType}_{index}");
    }

    internal static string Sanitize(string raw, string opType, int index)
    {
        var sb = new StringBuilder(raw.Length);
        foreach (var ch in raw)
        {
            bool ok = ch is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_';
            var c = ok ? ch : '_';
            if (c == '_' && sb.Length > 0 && sb[^1] == '_')
            {
                continue;
            }

            sb.Append(c);
        }

        var name = sb.ToString().Trim('_');
        if (name.Length == 0)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{Sanitize(opType, "node", index)}_{index}");
        }

        if (char.IsAsciiDigit(name[0]))
        {
            name = Sanitize(opType, "node", index) + "_" + name;
        }

        return name;
    }

    private static string Unique(string name, HashSet<string> taken)
    {
        if (taken.Add(name))
        {
            return name;
        }

        for (int i = 2; ; i++)
        {
            var candidate = string.Create(CultureInfo.InvariantCulture, $"{name}_{i}");
            if (taken.Add(candidate))
            {
                return candidate;
            }
        }
    }
}
