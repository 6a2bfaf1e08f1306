using System.Linq;
using TLDsl.Spec.Model;

namespace TLDsl.Spec.Catalogue;

/// <summary>
/// The structure of a base model, as data (the generator cannot load TorchSharp). Read from
/// <c>Catalogue/Models/&lt;name&gt;.yaml</c>; the format is documented in <see cref="CatalogueReader"/>.
/// </summary>
/// <param name="Name">Catalogue name, e.g. <c>resnet18</c>.</param>
/// <param name="Family">Architecture family, e.g. <c>resnet</c>.</param>
/// <param name="InputHeight">Default input height.</param>
/// <param name="InputWidth">Default input width.</param>
/// <param name="Channels">Input channels the model takes.</param>
/// <param name="Weights">Named weights and their normalisation statistics.</param>
/// <param name="FeatureSize">Features delivered once the classifier is dropped.</param>
/// <param name="Classifier">Top-level children that form the classifier (empty for a headless model).</param>
/// <param name="Stages">Ordered groups of module names (any depth), for <c>first_stages: N</c>; a member selects its descendants.</param>
/// <param name="Children">Top-level children in forward order.</param>
/// <param name="Layout">The forward pass: the children and the functional steps (pool, flatten) between them, in order,
/// as the runtime runs it. For an ONNX layer listing, whose layers run as a graph, its layers in order.</param>
/// <param name="Modules">Every named module (dotted names; order not significant), with parameter and buffer shapes.</param>
public sealed record BaseModelInfo(
    string Name,
    string Family,
    int InputHeight,
    int InputWidth,
    int Channels,
    EquatableArray<WeightsInfo> Weights,
    int FeatureSize,
    EquatableArray<string> Classifier,
    EquatableArray<EquatableArray<string>> Stages,
    EquatableArray<ChildInfo> Children,
    EquatableArray<LayoutStepInfo> Layout,
    EquatableArray<ModuleInfo> Modules)
{
    /// <summary>The named weights, or null.</summary>
    /// <param name="name">e.g. <c>imagenet</c>.</param>
    public WeightsInfo? FindWeights(string name) => Weights.FirstOrDefault(w => w.Name == name);

    /// <summary>The top-level child, or null.</summary>
    /// <param name="name">A top-level name.</param>
    public ChildInfo? FindChild(string name) => Children.FirstOrDefault(c => c.Name == name);

    /// <summary>What the model delivers when the top-level child <paramref name="name"/> is the last one kept: the output
    /// of the functional steps that follow it in the layout (a cut keeps them), else the child's own; null for an
    /// unknown child.</summary>
    /// <param name="name">A top-level name.</param>
    public LayoutStepInfo? OutputAfter(string name)
    {
        var at = -1;
        for (var i = 0; i < Layout.Count; i++)
        {
            if (Layout[i].Kind == LayoutStepKind.Child && Layout[i].Name == name)
            {
                at = i;
                break;
            }
        }

        if (at < 0)
        {
            return null;
        }

        while (at + 1 < Layout.Count && Layout[at + 1].Kind != LayoutStepKind.Child)
        {
            at++;
        }

        return Layout[at];
    }
}

/// <summary>Named weights: what they are called and how inputs must be normalised for them.</summary>
/// <param name="Name">e.g. <c>imagenet</c>.</param>
/// <param name="Mean">Per-channel means (B, G, R on 0-255 when <paramref name="Bgr"/>, else R, G, B on [0, 1]).</param>
/// <param name="Std">Per-channel standard deviations (empty when <paramref name="Bgr"/>).</param>
/// <param name="Bgr">True for Caffe-style BGR mean subtraction on 0-255 pixels.</param>
public sealed record WeightsInfo(string Name, EquatableArray<double> Mean, EquatableArray<double> Std, bool Bgr);

/// <summary>A top-level child of the model.</summary>
/// <param name="Name">e.g. <c>layer4</c>.</param>
/// <param name="Kind">The module class, e.g. <c>Sequential</c>.</param>
/// <param name="OutChannels">Channels (or features) of its own output (functional steps after it are layout steps, see
/// <see cref="BaseModelInfo.OutputAfter"/>).</param>
/// <param name="Spatial">True when its own output is a map [N, C, H, W] (also when 1x1); false for a vector [N, C].</param>
/// <param name="MinSize">The smallest input side (in pixels, square or not) the forward pass up to and including this
/// child accepts: smaller inputs shrink some map to nothing (alexnet needs 63). 1 where unknown (ONNX listings).</param>
public sealed record ChildInfo(string Name, string Kind, int OutChannels, bool Spatial, int MinSize = 1);

/// <summary>A named module.</summary>
/// <param name="Name">Dotted name, as in the state dict (<c>layer1.0.conv1</c>).</param>
/// <param name="Kind">The module class.</param>
/// <param name="Parameters">Its own (not descendants') parameters.</param>
/// <param name="Buffers">Its own buffers.</param>
public sealed record ModuleInfo(string Name, string Kind, EquatableArray<TensorInfo> Parameters, EquatableArray<TensorInfo> Buffers);

/// <summary>A parameter or buffer.</summary>
/// <param name="Name">Local name, e.g. <c>weight</c>.</param>
/// <param name="Shape">Dimensions (empty for a scalar).</param>
public sealed record TensorInfo(string Name, EquatableArray<long> Shape);
