using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using TLDsl.Runtime.Models;
using TLDsl.Spec.Catalogue;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TLDsl.Runtime.Surgery;

/// <summary>A backbone child whose forward pass is a graph of named layers rather than a sequence (an imported ONNX
/// graph): surgery can cut inside it by layer name, and <see cref="TransferModel"/> registers its layers under their
/// own names (no prefix), so freeze rules and state-dict keys use the layer names directly.</summary>
public interface IGraphBackbone
{
    /// <summary>The layers in run order: every name a drop or cut can address.</summary>
    IReadOnlyList<string> LayerNames { get; }

    /// <summary>A module over the same layers that returns the output of <paramref name="layer"/>
    /// (<paramref name="keepLayer"/>) or its data input (the layer is dropped); its children are the kept layers.</summary>
    Module<Tensor, Tensor> Truncate(string layer, bool keepLayer);
}

/// <summary>Where a graph backbone (<see cref="IGraphBackbone"/>) is cut.</summary>
/// <param name="Step">The layout step holding the graph.</param>
/// <param name="Layer">The layer at the cut.</param>
/// <param name="KeepLayer">True: the output of <paramref name="Layer"/> is the feature; false: its input is.</param>
public sealed record GraphCut(string Step, string Layer, bool KeepLayer);

/// <summary>The part of a base model that is kept: whole layout steps, and possibly the first items of a
/// Sequential child (dropping <c>classifier.6</c> keeps <c>classifier.0</c> to <c>classifier.5</c>).</summary>
public sealed class BackboneCut
{
    private BackboneCut(IReadOnlyList<LayoutStep> steps, IReadOnlyList<string> dropped, string? firstDropped, GraphCut? graphCut = null)
    {
        Steps = steps;
        Dropped = dropped;
        FirstDropped = firstDropped;
        GraphCut = graphCut;
    }

    /// <summary>Where a graph backbone step (<see cref="IGraphBackbone"/>) is cut inside, or null.</summary>
    public GraphCut? GraphCut { get; }

    /// <summary>The kept steps, in order; a step may name a truncated Sequential.</summary>
    public IReadOnlyList<LayoutStep> Steps { get; }

    /// <summary>Module names that were removed (their keys are not loaded from weight files).</summary>
    public IReadOnlyList<string> Dropped { get; }

    /// <summary>The first dropped module, or null when nothing was dropped.</summary>
    public string? FirstDropped { get; }

    /// <summary>Whether <paramref name="key"/> (a state-dict key) belongs to a dropped module.</summary>
    public bool IsDropped(string key) => Dropped.Any(d => key == d || key.StartsWith(d + ".", StringComparison.Ordinal));

    /// <summary>Keeps everything.</summary>
    public static BackboneCut None(BaseArchitecture architecture) => new(architecture.Layout, [], null);

    /// <summary>Removes exactly the trailing modules <paramref name="names"/> (each a layout child, or an item of a
    /// Sequential child such as <c>classifier.6</c>); nothing that is kept may follow a dropped module.</summary>
    public static BackboneCut Drop(BaseArchitecture architecture, Module<Tensor, Tensor> model, IReadOnlyCollection<string> names)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        if (names.Count == 0)
        {
            return None(architecture);
        }
        var order = Positions(architecture, model);
        foreach (var n in names)
        {
            if (!order.ContainsKey(n))
            {
                throw new SurgeryException($"cannot drop '{n}': {architecture.Name} has no droppable layer of that name; droppable: {string.Join(", ", order.Keys)}.");
            }
        }
        string first = names.OrderBy(n => order[n]).First();
        if (FindGraphLayer(architecture, model, first) is not null)
        {
            // Inside a graph, dropping a layer drops everything that needs it; the features are the layer's input.
            return Before(architecture, model, first);
        }
        var tail = order.Where(p => p.Value >= order[first]).Select(p => p.Key).Where(n => !IsWithinDropped(n, names)).ToList();
        var notDropped = tail.Where(n => !names.Contains(n) && !names.Any(d => n.StartsWith(d + ".", StringComparison.Ordinal))).ToList();
        if (notDropped.Count > 0)
        {
            throw new SurgeryException(
                $"cannot drop '{first}' but keep '{notDropped[0]}', which comes after it: only trailing layers can be dropped. Drop [{string.Join(", ", tail)}] or cut at the layer before '{first}'.");
        }
        return Before(architecture, model, first);
    }

    /// <summary>Keeps everything up to and including <paramref name="lastKept"/>.</summary>
    public static BackboneCut After(BaseArchitecture architecture, Module<Tensor, Tensor> model, string lastKept)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        var order = Positions(architecture, model);
        if (!order.TryGetValue(lastKept, out int position))
        {
            throw new SurgeryException($"cannot cut at '{lastKept}': {architecture.Name} has no layer of that name at the top level or in a top-level Sequential; candidates: {string.Join(", ", order.Keys)}.");
        }
        if (FindGraphLayer(architecture, model, lastKept) is { } graphStep)
        {
            return GraphCutAt(architecture, model, graphStep, lastKept, keepLayer: true);
        }
        var next = order.Where(p => p.Value > position && !p.Key.StartsWith(lastKept + ".", StringComparison.Ordinal)).OrderBy(p => p.Value).Select(p => p.Key).FirstOrDefault();
        return next is null ? None(architecture) : Before(architecture, model, next);
    }

    private static bool IsWithinDropped(string name, IReadOnlyCollection<string> dropped) =>
        dropped.Any(d => name.StartsWith(d + ".", StringComparison.Ordinal));

    /// <summary>The layout step whose graph backbone has a layer called <paramref name="layer"/>, or null.</summary>
    private static string? FindGraphLayer(BaseArchitecture architecture, Module<Tensor, Tensor> model, string layer)
    {
        var children = model.named_children().ToDictionary(c => c.name, c => c.module);
        return architecture.Layout
            .Where(s => s.Kind == LayoutStepKind.Child && s.Name != layer && children.TryGetValue(s.Name, out var m) && m is IGraphBackbone g && g.LayerNames.Contains(layer))
            .Select(s => s.Name).FirstOrDefault();
    }

    /// <summary>Keeps the steps before the graph step, the graph up to the cut, and nothing after it.</summary>
    private static BackboneCut GraphCutAt(BaseArchitecture architecture, Module<Tensor, Tensor> model, string step, string layer, bool keepLayer)
    {
        var graph = (IGraphBackbone)model.named_children().First(c => c.name == step).module;
        var kept = ((IGraphBackbone)graph.Truncate(layer, keepLayer)).LayerNames.ToHashSet(StringComparer.Ordinal);
        var steps = new List<LayoutStep>();
        var dropped = new List<string>();
        bool after = false;
        foreach (var s in architecture.Layout)
        {
            if (after)
            {
                if (s.Kind == LayoutStepKind.Child)
                {
                    dropped.Add(s.Name);
                }
                continue;
            }
            steps.Add(s);
            after = s.Kind == LayoutStepKind.Child && s.Name == step;
        }
        // Names relative to the uncut model (the graph's layers are its step's children there).
        dropped.InsertRange(0, graph.LayerNames.Where(n => !kept.Contains(n)).Select(n => $"{step}.{n}"));
        var firstDropped = keepLayer ? graph.LayerNames.FirstOrDefault(n => !kept.Contains(n)) : layer;
        return new BackboneCut(steps, dropped, firstDropped, new GraphCut(step, layer, keepLayer));
    }

    private static BackboneCut Before(BaseArchitecture architecture, Module<Tensor, Tensor> model, string firstDropped)
    {
        if (FindGraphLayer(architecture, model, firstDropped) is { } graphStep)
        {
            return GraphCutAt(architecture, model, graphStep, firstDropped, keepLayer: false);
        }

        var children = model.named_children().ToDictionary(c => c.name, c => c.module);
        var kept = new List<LayoutStep>();
        var dropped = new List<string>();
        bool cutting = false;
        foreach (var step in architecture.Layout)
        {
            if (cutting)
            {
                if (step.Kind == LayoutStepKind.Child)
                {
                    dropped.Add(step.Name);
                }
                continue;
            }
            if (step.Kind == LayoutStepKind.Child && step.Name == firstDropped)
            {
                dropped.Add(step.Name);
                cutting = true;
                continue;
            }
            if (step.Kind == LayoutStepKind.Child && firstDropped.StartsWith(step.Name + ".", StringComparison.Ordinal))
            {
                // Inside a Sequential child: keep its items before the dropped one.
                int index = int.Parse(firstDropped[(step.Name.Length + 1)..], CultureInfo.InvariantCulture);
                var items = children[step.Name].named_children().ToList();
                for (int i = index; i < items.Count; i++)
                {
                    dropped.Add($"{step.Name}.{items[i].name}");
                }
                if (index > 0)
                {
                    kept.Add(new LayoutStep(step.Name, LayoutStepKind.Child) { TruncateAt = index });
                }
                cutting = true;
                continue;
            }
            kept.Add(step);
        }
        return new BackboneCut(kept, dropped, firstDropped);
    }

    /// <summary>Every name that can start a cut, with its position in forward order: layout children, and the
    /// items of top-level Sequential children.</summary>
    internal static Dictionary<string, int> Positions(BaseArchitecture architecture, Module<Tensor, Tensor> model)
    {
        var children = model.named_children().ToDictionary(c => c.name, c => c.module);
        var result = new Dictionary<string, int>(StringComparer.Ordinal);
        int position = 0;
        foreach (var step in architecture.Layout.Where(s => s.Kind == LayoutStepKind.Child))
        {
            result[step.Name] = position++;
            if (children.TryGetValue(step.Name, out var graphChild) && graphChild is IGraphBackbone graph)
            {
                foreach (var layer in graph.LayerNames)
                {
                    result[layer] = position++;
                }
            }
            else if (children.TryGetValue(step.Name, out var child) && child is Sequential sequential)
            {
                foreach (var (name, _) in sequential.named_children())
                {
                    result[$"{step.Name}.{name}"] = position++;
                }
            }
        }
        return result;
    }
}
