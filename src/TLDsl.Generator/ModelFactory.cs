using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using TLDsl.Spec.Catalogue;
using TLDsl.Spec.Model;
using TLDsl.Spec.Registries;
using TLDsl.Spec.Text;

namespace TLDsl.Generator;

/// <summary>Turns a validated <see cref="PipelineSpec"/> into the emission model (layout, head types, defaults).</summary>
internal static class ModelFactory
{
    private const string ModuleType = "global::TorchSharp.torch.nn.Module<global::TorchSharp.torch.Tensor, global::TorchSharp.torch.Tensor>";

    // TorchSharp module types a catalogue child kind maps to (the catalogue records GetType().Name of each child).
    private static readonly HashSet<string> KnownKinds = new(StringComparer.Ordinal)
    {
        "Conv2d", "BatchNorm2d", "ReLU", "ReLU6", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "Sequential", "Linear", "Dropout",
    };

    public static IdentityModel Identity(ParsedPipeline p, PipelineSpec spec) => new(
        p.Namespace, spec.Name, p.AttributeClass, p.Text, PipelineHash.Of(p.Text), p.SourcePath,
        spec.Base.Model ?? spec.Base.OnnxPath ?? "", spec.Base.Weights, spec.Base.Sha256);

    public static PipelineModel Create(ParsedPipeline p, PipelineSpec spec)
    {
        var catalogue = spec.Base.Model is { } m && ModelCatalogue.Default.TryGet(m, out var info) ? info : null;
        var steps = catalogue is null ? new List<StepModel>() : Cut(Layout(catalogue), catalogue, spec.Base);
        var head = new List<HeadModel>();
        for (int i = 0; i < spec.Head.Count; i++)
        {
            head.Add(Head(spec.Head[i], i));
        }
        var graph = GraphLayout.None;
        var graphLayers = new List<GraphLayerModel>();
        if (spec.Base.Source == BaseModelSource.Onnx)
        {
            var listing = p.LayersText is { } text ? CatalogueReader.Read(text, out _) : null;
            graph = listing is null ? GraphLayout.Unlisted : GraphLayout.Listed;
            if (listing is not null)
            {
                graphLayers = KeptGraphLayers(listing, spec.Base);
            }
        }
        var phases = spec.Train.Phases.Select(p => p.Epochs).ToArray();
        return new PipelineModel(
            p.Namespace,
            spec.Name,
            p.AttributeClass,
            p.SourcePath,
            spec.Base.Model ?? spec.Base.OnnxPath ?? "",
            spec.Labels.FromData,
            p.UserLabelEnum,
            p.Accessibility,
            EquatableArray.From(spec.Labels.Items.Select(l => new LabelModel(l.Name, l.Identifier))),
            EquatableArray.From(steps),
            EquatableArray.From(head),
            graph,
            EquatableArray.From(graphLayers),
            spec.Train.Seed,
            spec.Train.Batch,
            spec.Train.Optimizer.Lr,
            EquatableArray.From(phases),
            spec.Train.Runs);
    }

    /// <summary>The runtime's forward layout, as the catalogue's <c>layout:</c> lists it (exported from the runtime's own
    /// declaration): each child with its TorchSharp type, and the functional steps between them.</summary>
    internal static List<StepModel> Layout(BaseModelInfo model) =>
        model.Layout.Select(step => new StepModel(step.Name, step.Kind, step.Kind == LayoutStepKind.Child ? FieldType(model.FindChild(step.Name)!.Kind) : "")).ToList();

    private static string FieldType(string kind) => KnownKinds.Contains(kind) ? "global::TorchSharp.Modules." + kind : ModuleType;

    /// <summary>Applies <c>drop</c> / <c>cut_at</c> as the runtime's BackboneCut does: keep the steps before the first dropped layer.</summary>
    internal static List<StepModel> Cut(List<StepModel> layout, BaseModelInfo model, BaseSpec spec)
    {
        var order = new List<string>();
        foreach (var child in model.Children)
        {
            order.Add(child.Name);
            if (child.Kind == "Sequential")
            {
                string prefix = child.Name + ".";
                order.AddRange(model.Modules.Select(m => m.Name)
                    .Where(n => n.StartsWith(prefix, StringComparison.Ordinal) && n.IndexOf('.', prefix.Length) < 0));
            }
        }
        string? first = null;
        if (spec.CutAt is { } last)
        {
            int at = order.IndexOf(last);
            first = order.Skip(at + 1).FirstOrDefault(n => !n.StartsWith(last + ".", StringComparison.Ordinal));
        }
        else if (spec.Drop.Count > 0)
        {
            first = spec.Drop.Where(order.Contains).OrderBy(order.IndexOf).FirstOrDefault();
        }
        if (first is null)
        {
            return layout;
        }
        var kept = new List<StepModel>();
        foreach (var step in layout)
        {
            if (step.Kind == LayoutStepKind.Child && step.Name == first)
            {
                break;
            }
            if (step.Kind == LayoutStepKind.Child && first.StartsWith(step.Name + ".", StringComparison.Ordinal))
            {
                if (int.TryParse(first.Substring(step.Name.Length + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int index) && index > 0)
                {
                    kept.Add(step with { FieldType = "global::TorchSharp.Modules.Sequential" });
                }
                break;
            }
            kept.Add(step);
        }
        return kept;
    }

    /// <summary>
    /// The module-holding layers of an ONNX graph that <c>drop</c> / <c>cut_at</c> keep, from its listing (run order):
    /// those before the first dropped layer, or up to and including the cut. The runtime keeps the layers the graph
    /// needs to compute that value; for the usual chain-like features these are the same, and the generated model checks
    /// it when it is built.
    /// </summary>
    internal static List<GraphLayerModel> KeptGraphLayers(BaseModelInfo listing, BaseSpec spec)
    {
        var order = listing.Children.Select(c => c.Name).ToList();
        int end = order.Count;
        if (spec.CutAt is { } last && order.IndexOf(last) is int at && at >= 0)
        {
            end = at + 1;
        }
        else
        {
            var dropped = spec.Drop.SelectMany(d => d == "classifier" ? (IEnumerable<string>)listing.Classifier : new[] { d })
                .Select(d => order.IndexOf(d)).Where(i => i >= 0).ToList();
            if (dropped.Count > 0)
            {
                end = dropped.Min();
            }
        }
        var kept = new HashSet<string>(order.Take(end), StringComparer.Ordinal);
        return listing.Modules
            .Where(m => kept.Contains(m.Name))
            .OrderBy(m => order.IndexOf(m.Name))
            .Select(m => new GraphLayerModel(m.Name, FieldType(m.Kind)))
            .ToList();
    }

    /// <summary>The head layer's field: its type and name come from the head layer registry.</summary>
    private static HeadModel Head(HeadLayerSpec layer, int index)
    {
        string n = index.ToString(CultureInfo.InvariantCulture);
        var info = HeadLayers.Of(layer.Kind);
        string type = "global::" + (layer is NormLayerSpec { Spatial: true } && info.SpatialFieldType is { } spatial ? spatial : info.FieldType);
        string description = layer switch
        {
            LinearLayerSpec l => "linear: " + (l.OutIsLabels ? "labels" : l.OutFeatures?.ToString(CultureInfo.InvariantCulture)) + (l.Bias ? "" : " (no bias)"),
            DropoutLayerSpec d => "dropout: " + d.P.ToString("R", CultureInfo.InvariantCulture),
            _ => info.Display,
        };
        return new HeadModel(index, type, info.Key + n, description);
    }
}
