// Catalogue file format (one model per file, Catalogue/Models/<name>.yaml, embedded in TLDsl.Spec).
// A tool in the runtime regenerates these files from the real TorchSharp modules; keep the format stable.
//
//   name: resnet18                       # catalogue name; equals the file name without .yaml
//   family: resnet
//   input: {size: [224, 224], channels: 3}
//   weights:                             # named weights (may be {}); each with the statistics inputs need
//     imagenet:
//       normalize: {mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225]}   # RGB on [0, 1]
//     # or:  normalize: {bgr_mean: [103.06, 115.9, 123.15]}                      # BGR on 0-255, no std
//   feature_size: 512                    # features once the classifier is dropped
//   classifier: [fc]                     # top-level children forming the classifier; [] when headless
//   stages: [[conv1, bn1, relu, maxpool], [layer1], ...]   # ordered groups of module names (any depth, e.g. features.3)
//   children:                            # top-level children, forward order; each with its own output
//     - {name: conv1, kind: Conv2d, out_channels: 64, spatial: true, min_size: 1}   # spatial: a map [N, C, H, W] (also 1x1);
//                                                                  # min_size: smallest input side the forward up to it takes
//   layout:                              # the forward pass: every child once, in order, and the functional steps
//     - conv1                            # between them with their output: (pool) is a global average pool to 1x1,
//     - avgpool                          # (flatten) flattens all but the batch dimension. Generated from the
//     - {name: (flatten), out_channels: 512, spatial: false}   # runtime's ModelZoo; the generator emits this forward.
//     - fc                               # ONNX layer listings (family: onnx) have none: their layers run as a graph.
//   modules:                             # every named module (named_modules() minus the root); order not significant
//     - {name: layer1.0.bn1, kind: BatchNorm2d, params: {weight: [64], bias: [64]},
//        buffers: {running_mean: [64], running_var: [64], num_batches_tracked: []}}
//
// params/buffers hold the module's own tensors only (not its descendants'); both keys may be omitted when empty.
// Numbers are invariant-culture; unknown keys are errors so that a format change is noticed.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using TLDsl.Spec.Model;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace TLDsl.Spec.Catalogue;

/// <summary>Reads one catalogue file (the format is described at the top of this source file and in docs/pipeline-reference.md).</summary>
public static class CatalogueReader
{
    /// <summary>The family of ONNX layer listings (written by the runtime's OnnxLayerListing).</summary>
    public const string OnnxFamily = "onnx";

    /// <summary>Largest accepted catalogue or layer listing file, in characters.</summary>
    public const int MaxCharacters = 4_000_000;

    /// <summary>Parses a catalogue file; on failure returns null and the problems.</summary>
    /// <param name="yamlText">The file's text.</param>
    /// <param name="errors">What is wrong, empty on success.</param>
    public static BaseModelInfo? Read(string yamlText, out IReadOnlyList<string> errors)
    {
        var problems = new List<string>();
        errors = problems;
        if (yamlText.Length > MaxCharacters)
        {
            problems.Add("the file is larger than " + MaxCharacters.ToString(CultureInfo.InvariantCulture) + " characters");
            return null;
        }

        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(yamlText));
            if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root)
            {
                problems.Add("expected one document holding a mapping");
                return null;
            }

            var info = ReadModel(new Cursor(root, string.Empty, problems));
            return problems.Count == 0 ? info : null;
        }
        catch (YamlException ex)
        {
            problems.Add("line " + ex.Start.Line.ToString(CultureInfo.InvariantCulture) + ": " + ex.Message);
            return null;
        }
        catch (Exception ex) when (ex is InvalidCastException or FormatException or OverflowException or InvalidOperationException)
        {
            problems.Add(ex.Message);
            return null;
        }
    }

    private static BaseModelInfo ReadModel(Cursor c)
    {
        c.AllowOnly("name", "family", "input", "weights", "feature_size", "classifier", "stages", "children", "layout", "modules");
        var input = c.Map("input");
        input.AllowOnly("size", "channels");
        var size = input.Ints("size");
        if (size.Count != 2)
        {
            c.Problem("input.size must be [height, width]");
        }

        var weights = c.Map("weights");
        var weightInfos = weights.Keys().Select(name => ReadWeights(name, weights.Map(name))).ToArray();
        var family = c.String("family");
        var children = c.Seq("children").Select((n, i) => ReadChild(c.Item(n, "children", i))).ToArray();
        return new BaseModelInfo(
            c.String("name"),
            family,
            size.Count == 2 ? size[0] : 0,
            size.Count == 2 ? size[1] : 0,
            input.Int("channels"),
            EquatableArray.From(weightInfos),
            c.Int("feature_size"),
            EquatableArray.From(c.Strings("classifier")),
            EquatableArray.From(c.Seq("stages").Select(s => EquatableArray.From(((YamlSequenceNode)s).Children.Select(Text)))),
            EquatableArray.From(children),
            EquatableArray.From(ReadLayout(c, family, children)),
            EquatableArray.From(c.Seq("modules").Select((n, i) => ReadModule(c.Item(n, "modules", i)))));
    }

    private static WeightsInfo ReadWeights(string name, Cursor c)
    {
        c.AllowOnly("normalize");
        var normalize = c.Map("normalize");
        if (normalize.Has("bgr_mean"))
        {
            normalize.AllowOnly("bgr_mean");
            return new WeightsInfo(name, EquatableArray.From(normalize.Doubles("bgr_mean")), default, true);
        }

        normalize.AllowOnly("mean", "std");
        return new WeightsInfo(name, EquatableArray.From(normalize.Doubles("mean")), EquatableArray.From(normalize.Doubles("std")), false);
    }

    private static ChildInfo ReadChild(Cursor c)
    {
        c.AllowOnly("name", "kind", "out_channels", "spatial", "min_size");
        return new ChildInfo(c.String("name"), c.String("kind"), c.Int("out_channels"), c.Bool("spatial"), c.Has("min_size") ? c.Int("min_size") : 1);
    }

    /// <summary>The forward layout: children by name, functional steps as mappings with their output. An ONNX layer
    /// listing has none (its layers run as a graph, with nothing between them): its steps are its layers.</summary>
    private static List<LayoutStepInfo> ReadLayout(Cursor c, string family, IReadOnlyList<ChildInfo> children)
    {
        var asChildren = children.Select(ch => new LayoutStepInfo(ch.Name, LayoutStepKind.Child, ch.OutChannels, ch.Spatial)).ToList();
        if (family == OnnxFamily)
        {
            if (c.Has("layout"))
            {
                c.Problem("'layout' is not allowed in an ONNX layer listing (family: " + OnnxFamily + "): its layers run as a graph");
            }

            return asChildren;
        }

        var steps = new List<LayoutStepInfo>();
        var items = c.Seq("layout");
        for (var i = 0; i < items.Count; i++)
        {
            var at = "layout[" + i.ToString(CultureInfo.InvariantCulture) + "]";
            if (items[i] is YamlScalarNode scalar)
            {
                var child = asChildren.FirstOrDefault(ch => ch.Name == scalar.Value);
                if (child is null)
                {
                    c.Problem("'" + at + "': '" + scalar.Value + "' is not a child; children: " + string.Join(", ", children.Select(ch => ch.Name)));
                }
                else
                {
                    steps.Add(child);
                }

                continue;
            }

            if (items[i] is not YamlMappingNode)
            {
                c.Problem("'" + at + "' must be a child's name or a mapping {name: " + LayoutStepInfo.PoolName + " or " + LayoutStepInfo.FlattenName + ", out_channels, spatial}");
                continue;
            }

            var step = c.Item(items[i], "layout", i);
            step.AllowOnly("name", "out_channels", "spatial");
            var name = step.String("name");
            LayoutStepKind? kind = name == LayoutStepInfo.PoolName ? LayoutStepKind.GlobalAveragePool
                : name == LayoutStepInfo.FlattenName ? LayoutStepKind.Flatten
                : null;
            if (kind is null)
            {
                c.Problem("'" + at + ".name' must be " + LayoutStepInfo.PoolName + " or " + LayoutStepInfo.FlattenName + " (a child is written as its name), not '" + name + "'");
                continue;
            }

            steps.Add(new LayoutStepInfo(name, kind.Value, step.Int("out_channels"), step.Bool("spatial")));
        }

        var order = steps.Where(s => s.Kind == LayoutStepKind.Child).Select(s => s.Name);
        if (!order.SequenceEqual(children.Select(ch => ch.Name)))
        {
            c.Problem("'layout' must list every child once, in the order of 'children' (" + string.Join(", ", children.Select(ch => ch.Name)) + ")");
        }

        return steps;
    }

    private static ModuleInfo ReadModule(Cursor c)
    {
        c.AllowOnly("name", "kind", "params", "buffers");
        return new ModuleInfo(c.String("name"), c.String("kind"), ReadTensors(c, "params"), ReadTensors(c, "buffers"));
    }

    private static EquatableArray<TensorInfo> ReadTensors(Cursor c, string key)
    {
        if (!c.Has(key))
        {
            return default;
        }

        var map = c.Map(key);
        return EquatableArray.From(map.Keys().Select(k => new TensorInfo(k, EquatableArray.From(map.Ints(k).Select(x => (long)x)))));
    }

    private static string Text(YamlNode node) => node is YamlScalarNode s ? s.Value ?? string.Empty : throw new FormatException("expected a word at line " + node.Start.Line.ToString(CultureInfo.InvariantCulture));

    /// <summary>A mapping plus the key path, collecting problems instead of throwing on missing keys.</summary>
    private sealed class Cursor
    {
        private readonly YamlMappingNode _node;
        private readonly string _path;
        private readonly List<string> _problems;

        public Cursor(YamlMappingNode node, string path, List<string> problems)
        {
            _node = node;
            _path = path;
            _problems = problems;
        }

        public void Problem(string message) => _problems.Add(message);

        public bool Has(string key) => _node.Children.ContainsKey(new YamlScalarNode(key));

        public IEnumerable<string> Keys() => _node.Children.Keys.Select(Text).ToArray();

        public void AllowOnly(params string[] keys)
        {
            foreach (var key in Keys().Where(k => !keys.Contains(k)))
            {
                Problem("unknown key '" + _path + key + "'");
            }
        }

        public Cursor Map(string key) =>
            Get(key) is YamlMappingNode map ? new Cursor(map, _path + key + ".", _problems) : Missing(key, "a mapping", new Cursor(new YamlMappingNode(), _path + key + ".", _problems));

        public Cursor Item(YamlNode node, string key, int index) =>
            node is YamlMappingNode map
                ? new Cursor(map, _path + key + "[" + index.ToString(CultureInfo.InvariantCulture) + "].", _problems)
                : Missing(key, "a list of mappings", new Cursor(new YamlMappingNode(), _path, _problems));

        public IReadOnlyList<YamlNode> Seq(string key) =>
            Get(key) is YamlSequenceNode seq ? seq.Children.ToArray() : Missing(key, "a list", Array.Empty<YamlNode>());

        public string String(string key) =>
            Get(key) is YamlScalarNode s ? s.Value ?? string.Empty : Missing(key, "a word", string.Empty);

        public int Int(string key) => int.Parse(String(key) is { Length: > 0 } t ? t : "0", NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);

        public bool Bool(string key)
        {
            var text = String(key);
            if (text != "true" && text != "false" && text.Length > 0)
            {
                Problem("'" + _path + key + "' must be true or false, not '" + text + "'");
            }

            return text == "true";
        }

        public IReadOnlyList<string> Strings(string key) => Seq(key).Select(Text).ToArray();

        public IReadOnlyList<int> Ints(string key) =>
            Strings(key).Select(t => int.Parse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture)).ToArray();

        public IReadOnlyList<double> Doubles(string key) =>
            Strings(key).Select(t => double.Parse(t, NumberStyles.Float, CultureInfo.InvariantCulture)).ToArray();

        private YamlNode? Get(string key) => _node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

        private T Missing<T>(string key, string what, T fallback)
        {
            Problem("'" + _path + key + "' must be " + what);
            return fallback;
        }
    }
}
