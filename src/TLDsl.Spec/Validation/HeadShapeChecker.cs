using System.Collections.Generic;
using System.Globalization;
using TLDsl.Spec.Diagnostics;
using TLDsl.Spec.Model;
using TLDsl.Spec.Registries;

namespace TLDsl.Spec.Validation;

/// <summary>
/// Follows the feature shape from the kept backbone through the head: resolves every layer's input size and
/// <c>linear: labels</c>, and reports layers that cannot take their input and a final size that differs from the
/// label count.
/// </summary>
internal sealed class HeadShapeChecker
{
    private readonly ValidationContext _ctx;

    public HeadShapeChecker(ValidationContext context) => _ctx = context;

    public EquatableArray<HeadLayerSpec> Resolve(EquatableArray<HeadLayerSpec> head, LabelsSpec labels)
    {
        int? labelCount = labels.FromData || _ctx.Checker.HasErrorsUnder("labels") ? null : labels.Items.Count;
        var headBroken = _ctx.Checker.HasErrorsUnder("head");
        // What the kept backbone delivers: its last child's output, after the functional steps (pool, flatten) the cut keeps.
        var last = _ctx.Model is null || _ctx.KeptChildren.Count == 0 ? null : _ctx.Model.OutputAfter(_ctx.KeptChildren[_ctx.KeptChildren.Count - 1].Name);
        int? features = last?.OutChannels;
        var spatial = last?.Spatial ?? false;
        var resolved = new List<HeadLayerSpec>();
        for (var i = 0; i < head.Count; i++)
        {
            var path = "head[" + i.ToString(CultureInfo.InvariantCulture) + "]";
            var layer = head[i];
            var input = features;
            switch (layer)
            {
                case LinearLayerSpec linear:
                    if (features is not null && spatial)
                    {
                        Misfit(path, "linear", "a feature vector", features.Value, spatial, "add 'pool: avg' before it");
                    }
                    else if (features is not null && linear.InFeatures is { } declared && declared != features && !headBroken)
                    {
                        _ctx.Report(DiagnosticDescriptors.HeadInputMismatch, path + ".linear.in", path + " (linear)", declared, features.Value);
                    }

                    var outFeatures = linear.OutIsLabels ? labelCount : linear.OutFeatures;
                    if (input is { } inCount && outFeatures is { } outCount && (long)inCount * outCount > Schema.PipelineKeys.MaxLinearWeights && !headBroken)
                    {
                        _ctx.Report(DiagnosticDescriptors.OutOfRange, path, path + " (linear)", "at most " + Schema.PipelineKeys.MaxLinearWeights.ToString(CultureInfo.InvariantCulture) + " weights (in × out)",
                            inCount.ToString(CultureInfo.InvariantCulture) + " × " + outCount.ToString(CultureInfo.InvariantCulture));
                    }

                    resolved.Add(linear with { InFeatures = input, OutFeatures = outFeatures });
                    features = outFeatures;
                    spatial = false;
                    continue;
                case NormLayerSpec norm:
                    if (norm.Kind == HeadLayerKind.LayerNorm && spatial && features is not null)
                    {
                        Misfit(path, "layernorm", "a feature vector", features.Value, spatial, "add 'pool: avg' before it");
                    }

                    resolved.Add(norm with { InFeatures = input, Spatial = spatial });
                    continue;
                case PoolLayerSpec pool:
                    if (!spatial && features is not null)
                    {
                        Misfit(path, "pool", "a spatial feature map", features.Value, spatial, "the input is already pooled; remove it");
                    }

                    resolved.Add(pool with { InFeatures = input });
                    features = pool.Kind == HeadLayerKind.ConcatPool && features is not null ? features * 2 : features;
                    spatial = false;
                    continue;
                case SimpleLayerSpec { Kind: HeadLayerKind.Flatten } flatten:
                    if (spatial && features is not null)
                    {
                        Misfit(path, "flatten", "a feature vector or 1x1 map", features.Value, spatial, "its size would depend on the input size; use 'pool: avg' instead");
                    }

                    resolved.Add(flatten with { InFeatures = input });
                    spatial = false;
                    continue;
                case SimpleLayerSpec simple:
                    resolved.Add(simple with { InFeatures = input });
                    continue;
                case DropoutLayerSpec dropout:
                    resolved.Add(dropout with { InFeatures = input });
                    continue;
            }
        }

        if (!headBroken && features is not null && spatial && _ctx.Model is not null)
        {
            // A cut backbone with no pooling head would hand the loss a feature map.
            var path = head.Count > 0 ? "head[" + (head.Count - 1).ToString(CultureInfo.InvariantCulture) + "]" : "base.cut_at";
            _ctx.Report(DiagnosticDescriptors.HeadLayerDoesNotFit, _ctx.Locator.Has(path) ? path : "head", "The model's output", "classifier", "one value per label", "a spatial feature map of " + features.Value.ToString(CultureInfo.InvariantCulture) + " channels", "end the head with 'pool: avg' and 'linear: labels'");
        }

        if (!headBroken && features is not null && !spatial && labelCount is not null && features != labelCount && _ctx.Model is not null)
        {
            var path = head.Count > 0 ? "head[" + (head.Count - 1).ToString(CultureInfo.InvariantCulture) + "]" : "head";
            _ctx.Report(DiagnosticDescriptors.OutputLabelMismatch, _ctx.Locator.Has(path) ? path : "labels", features.Value, labelCount.Value);
        }

        return EquatableArray.From(resolved);
    }

    private void Misfit(string path, string kind, string needs, int features, bool spatial, string hint)
    {
        if (_ctx.Checker.HasErrorsUnder("head"))
        {
            return;
        }

        var receives = spatial
            ? "a spatial feature map of " + features.ToString(CultureInfo.InvariantCulture) + " channels"
            : "a feature vector of " + features.ToString(CultureInfo.InvariantCulture);
        _ctx.Report(DiagnosticDescriptors.HeadLayerDoesNotFit, path, path, kind, needs, receives, hint);
    }
}
