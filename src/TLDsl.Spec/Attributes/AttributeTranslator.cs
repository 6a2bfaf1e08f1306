using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using TLDsl.Spec.Diagnostics;
using TLDsl.Spec.Parsing;
using TLDsl.Spec.Text;
using TLDsl.Spec.Yaml;

namespace TLDsl.Spec.Attributes;

/// <summary>
/// Translates attribute occurrences into the YAML tree they stand for (see the attribute table in
/// docs/pipeline-reference.md). Every node carries the token of the attribute or argument it came from.
/// </summary>
internal sealed class AttributeTranslator
{
    private static readonly string[] OptimizerArguments = { "Lr", "WeightDecay", "Momentum" };

    private readonly AttributePipelineInput _input;
    private readonly DiagnosticBag _bag;
    private readonly YMapping _root;

    public AttributeTranslator(AttributePipelineInput input, DiagnosticBag bag, NodeLocation rootLocation)
    {
        _input = input;
        _bag = bag;
        _root = new YMapping(rootLocation);
    }

    public YMapping Translate()
    {
        Set(_root, "version", Plain(PipelineUpgrader.CurrentVersion.ToString(CultureInfo.InvariantCulture), _root.Location), _root.Location);
        var head = new List<(double Order, YNode Layer, AttributeOccurrence At)>();
        var phases = new List<(double Order, YNode Phase)>();
        foreach (var attribute in _input.Attributes)
        {
            if (!AttributeTable.NamedArguments.TryGetValue(attribute.Name, out var allowed))
            {
                continue; // not a TLDsl attribute: the generator should not pass it; nothing to say about it
            }

            foreach (var named in attribute.Arguments.Where(a => a.Name is not null && !allowed.Contains(a.Name)))
            {
                var hint = Suggestions.DidYouMean(named.Name!, allowed);
                _bag.Report(DiagnosticDescriptors.UnknownAttributeArgument, Loc(named.LocationToken ?? attribute.LocationToken), attribute.Name, named.Name, hint.Length > 0 ? hint : allowed.Length == 0 ? " It takes no named arguments." : " Named arguments: " + string.Join(", ", allowed) + ".");
            }

            if (AttributeTable.HeadLayers.TryGetValue(attribute.Name, out var kind))
            {
                head.Add((Positional(attribute, 0)?.Number ?? 0, HeadLayer(attribute, kind), attribute));
            }
            else if (attribute.Name == "Phase")
            {
                phases.Add((Positional(attribute, 0)?.Number ?? 0, Phase(attribute)));
            }
            else
            {
                Apply(attribute);
            }
        }

        foreach (var clash in head.GroupBy(h => h.Order).Where(g => g.Count() > 1))
        {
            _bag.Report(DiagnosticDescriptors.DuplicateHeadOrder, Loc(clash.Last().At.LocationToken), clash.Key.ToString(CultureInfo.InvariantCulture));
        }

        if (head.Count > 0)
        {
            Set(_root, "head", new YSequence(_root.Location, head.OrderBy(h => h.Order).Select(h => h.Layer).ToList()), _root.Location);
        }

        if (phases.Count > 0)
        {
            var train = Child(_root, "train", _root.Location);
            Set(train, "phases", new YSequence(_root.Location, phases.OrderBy(p => p.Order).Select(p => p.Phase).ToList()), _root.Location);
        }

        return _root;
    }

    private void Apply(AttributeOccurrence a)
    {
        var at = Loc(a.LocationToken);
        switch (a.Name)
        {
            case "TransferPipeline":
                SetValue(_root, "name", Positional(a, 0), a);
                SetValue(_root, "description", NamedArg(a, "Description"), a);
                break;
            case "BaseModel":
                var baseModel = Child(_root, "base", at);
                SetValue(baseModel, "model", Positional(a, 0), a);
                SetValue(baseModel, "weights", NamedArg(a, "Weights"), a);
                SetValue(baseModel, "sha256", NamedArg(a, "Sha256"), a);
                break;
            case "OnnxModel":
                var onnx = Child(_root, "base", at);
                SetValue(onnx, "onnx", Positional(a, 0), a);
                SetValue(onnx, "layers", NamedArg(a, "Layers"), a);
                break;
            case "Drop":
                SetValue(Child(_root, "base", at), "drop", Positional(a, 0), a);
                break;
            case "CutAt":
                SetValue(Child(_root, "base", at), "cut_at", Positional(a, 0), a);
                break;
            case "Input":
                ApplyInput(a, at);
                break;
            case "Labels":
                var labels = Positional(a, 0);
                YNode list = labels?.Kind == AttributeValueKind.TypeName
                    ? new YSequence(at, _input.LabelNames.Select(n => (YNode)new YScalar(n, false, at)).ToList())
                    : Convert(labels, at);
                Set(_root, "labels", list, at);
                break;
            case "LabelsFromData":
                Set(_root, "labels", Plain("from_data", at), at);
                break;
            case "Freeze":
                ApplyFreeze(a, at);
                break;
            case "Train":
                ApplyTrain(a, at);
                break;
            case "FineTune":
                var fineTune = Child(Child(Child(_root, "train", at), "recipe", at), "fine_tune", at);
                SetValue(fineTune, "epochs", NamedArg(a, "Epochs"), a);
                SetValue(fineTune, "freeze_epochs", NamedArg(a, "FreezeEpochs"), a);
                SetValue(fineTune, "lr", NamedArg(a, "Lr"), a);
                SetValue(fineTune, "lr_decay", NamedArg(a, "LrDecay"), a);
                break;
            case "DataFolder":
            case "DataIdx":
            case "DataCsv":
                ApplyData(a, at);
                break;
            case "Augment":
            case "Tta":
                ApplyAugment(a, at);
                break;
            case "Ema":
                var ema = Child(Child(_root, "train", at), "ema", at);
                SetValue(ema, "decay", Positional(a, 0), a);
                SetValue(ema, "warmup", NamedArg(a, "Warmup"), a);
                break;
        }
    }

    // Augmentation kinds and test-time views as bare words, each with its defaults.
    private void ApplyAugment(AttributeOccurrence a, NodeLocation at)
    {
        var words = Positional(a, 0);
        var items = words is null ? new List<YNode>()
            : words.Kind == AttributeValueKind.Text ? new List<YNode> { Plain(words.Text ?? string.Empty, at) }
            : words.Strings.Select(w => (YNode)Plain(w, at)).ToList();
        var list = new YSequence(at, items);
        Set(Child(_root, "data", at), a.Name == "Augment" ? "augment" : "tta", list, at);
    }

    private void ApplyInput(AttributeOccurrence a, NodeLocation at)
    {
        var input = Child(_root, "input", at);
        var height = Positional(a, 0);
        var width = Positional(a, 1);
        if (height is not null && width is not null)
        {
            Set(input, "size", new YSequence(at, new List<YNode> { Convert(height, at), Convert(width, at) }), at);
        }

        SetValue(input, "channels", NamedArg(a, "Channels"), a);
        if (NamedArg(a, "BgrMean") is { } bgr)
        {
            var normalize = Child(input, "normalize", at);
            SetValue(normalize, "bgr_mean", bgr, a);
        }
        else if (NamedArg(a, "Mean") is not null || NamedArg(a, "Std") is not null)
        {
            var normalize = Child(input, "normalize", at);
            SetValue(normalize, "mean", NamedArg(a, "Mean"), a);
            SetValue(normalize, "std", NamedArg(a, "Std"), a);
        }
        else
        {
            SetValue(input, "normalize", NamedArg(a, "Normalize"), a);
        }
    }

    private void ApplyFreeze(AttributeOccurrence a, NodeLocation at)
    {
        var rule = new YMapping(at);
        if (Positional(a, 0) is { Kind: AttributeValueKind.StringArray, Strings.Count: > 0 } patterns)
        {
            SetValue(rule, "layers", patterns, a);
        }

        SetValue(rule, "regex", NamedArg(a, "Regex"), a);
        SetValue(rule, "first_stages", NamedArg(a, "FirstStages"), a);
        SetValue(rule, "backbone", NamedArg(a, "Backbone"), a);
        SetValue(rule, "all", NamedArg(a, "All"), a);
        SetValue(rule, "batchnorm", NamedArg(a, "BatchNorm"), a);
        var freeze = _root.Get("freeze") as YSequence;
        if (freeze is null)
        {
            freeze = new YSequence(at);
            Set(_root, "freeze", freeze, at);
        }

        freeze.Items.Add(rule);
    }

    private void ApplyTrain(AttributeOccurrence a, NodeLocation at)
    {
        var train = Child(_root, "train", at);
        SetValue(train, "epochs", NamedArg(a, "Epochs"), a);
        SetValue(train, "batch", NamedArg(a, "Batch"), a);
        SetValue(train, "seed", NamedArg(a, "Seed"), a);
        SetValue(train, "accumulate", NamedArg(a, "Accumulate"), a);
        SetValue(train, "clip_grad_norm", NamedArg(a, "ClipGradNorm"), a);
        var optimizerName = NamedArg(a, "Optimizer");
        var options = OptimizerArguments.Where(n => NamedArg(a, n) is not null).ToArray();
        if (optimizerName is not null || options.Length > 0)
        {
            var optimizer = Child(train, "optimizer", at);
            var body = new YMapping(at);
            SetValue(body, "lr", NamedArg(a, "Lr"), a);
            SetValue(body, "weight_decay", NamedArg(a, "WeightDecay"), a);
            SetValue(body, "momentum", NamedArg(a, "Momentum"), a);
            Set(optimizer, optimizerName?.Text ?? "adamw", body, Loc(Token(a, "Optimizer")));
        }

        if (NamedArg(a, "LabelSmoothing") is { } smoothing)
        {
            var loss = Child(Child(train, "loss", at), "cross_entropy", at);
            SetValue(loss, "label_smoothing", smoothing, a);
        }
    }

    private void ApplyData(AttributeOccurrence a, NodeLocation at)
    {
        var data = Child(_root, "data", at);
        var train = Child(data, "train", at);
        switch (a.Name)
        {
            case "DataFolder":
                SetValue(train, "folder", Positional(a, 0), a);
                break;
            case "DataIdx":
                var idx = Child(train, "idx", at);
                SetValue(idx, "images", Positional(a, 0), a);
                SetValue(idx, "labels", Positional(a, 1), a);
                SetValue(idx, "classes", NamedArg(a, "Classes"), a);
                break;
            default:
                var csv = Child(train, "csv", at);
                SetValue(csv, "path", Positional(a, 0), a);
                SetValue(csv, "root", NamedArg(a, "Root"), a);
                break;
        }

        if (NamedArg(a, "Split") is { } split)
        {
            var valid = Child(data, "valid", at);
            SetValue(valid, "split", split, a);
            SetValue(valid, "seed", NamedArg(a, "SplitSeed"), a);
        }

        SetValue(data, "limit_per_class", NamedArg(a, "LimitPerClass"), a);
        SetValue(data, "limit_seed", NamedArg(a, "LimitSeed"), a);
    }

    private YNode HeadLayer(AttributeOccurrence a, string kind)
    {
        var at = Loc(a.LocationToken);
        var layer = new YMapping(at);
        switch (a.Name)
        {
            case "Linear":
            case "LinearLabels":
                var output = a.Name == "LinearLabels" ? Plain("labels", at) : Convert(Positional(a, 1), at);
                if (NamedArg(a, "Bias") is null && NamedArg(a, "In") is null)
                {
                    Set(layer, kind, output, at);
                    break;
                }

                var options = new YMapping(at);
                Set(options, "out", output, at);
                SetValue(options, "in", NamedArg(a, "In"), a);
                SetValue(options, "bias", NamedArg(a, "Bias"), a);
                Set(layer, kind, options, at);
                break;
            case "Dropout":
                Set(layer, kind, Convert(Positional(a, 1), at), at);
                break;
            case "Pool":
                var poolKind = NamedArg(a, "Kind") ?? Positional(a, 1);
                return poolKind is null ? Plain(kind, at) : Mapping(layer, kind, Convert(poolKind, Loc(Token(a, "Kind"))), at);
            default:
                return Plain(kind, at);
        }

        return layer;
    }

    private YNode Phase(AttributeOccurrence a)
    {
        var phase = new YMapping(Loc(a.LocationToken));
        SetValue(phase, "epochs", Positional(a, 1), a);
        SetValue(phase, "name", NamedArg(a, "Name"), a);
        SetValue(phase, "unfreeze", NamedArg(a, "Unfreeze"), a);
        SetValue(phase, "freeze", NamedArg(a, "Freeze"), a);
        SetValue(phase, "lr", NamedArg(a, "Lr"), a);
        SetValue(phase, "schedule", NamedArg(a, "Schedule"), a);
        SetValue(phase, "lr_decay", NamedArg(a, "LrDecay"), a);
        SetValue(phase, "augment", NamedArg(a, "Augment"), a);
        return phase;
    }

    private static YMapping Mapping(YMapping map, string key, YNode value, NodeLocation at)
    {
        map.Entries.Add(new YEntry(new YScalar(key, false, at), value));
        return map;
    }

    private static AttributeValue? Positional(AttributeOccurrence a, int index)
    {
        var positional = a.Arguments.Where(x => x.Name is null).ToArray();
        return index < positional.Length ? positional[index].Value : null;
    }

    private static AttributeValue? NamedArg(AttributeOccurrence a, string name) =>
        a.Arguments.FirstOrDefault(x => x.Name == name)?.Value;

    private static object? Token(AttributeOccurrence a, string name) =>
        a.Arguments.FirstOrDefault(x => x.Name == name)?.LocationToken ?? a.LocationToken;

    private static NodeLocation Loc(object? token) => new(null, token);

    private static YScalar Plain(string text, NodeLocation at) => new(text, true, at);

    // Strings stay strings (quoted), numbers and booleans are plain, so the checker types them like YAML would.
    private static YNode Convert(AttributeValue? value, NodeLocation at) => value?.Kind switch
    {
        null => new YScalar(string.Empty, true, at),
        AttributeValueKind.Text => value.Text is null ? new YScalar(string.Empty, true, at) : new YScalar(value.Text, false, at),
        AttributeValueKind.Number => Plain(InvariantNumbers.Format(value.Number), at),
        AttributeValueKind.Boolean => Plain(value.Boolean ? "true" : "false", at),
        AttributeValueKind.StringArray => new YSequence(at, value.Strings.Select(s => (YNode)new YScalar(s, false, at)).ToList()),
        AttributeValueKind.NumberArray => new YSequence(at, value.Numbers.Select(n => (YNode)Plain(InvariantNumbers.Format(n), at)).ToList()),
        _ => new YScalar(value.Text ?? string.Empty, false, at),
    };

    private void SetValue(YMapping map, string key, AttributeValue? value, AttributeOccurrence a)
    {
        if (value is null)
        {
            return;
        }

        var token = a.Arguments.FirstOrDefault(x => ReferenceEquals(x.Value, value))?.LocationToken ?? a.LocationToken;
        Set(map, key, Convert(value, Loc(token)), Loc(token));
    }

    private void Set(YMapping map, string key, YNode value, NodeLocation at)
    {
        var existing = map.Find(key);
        if (existing is not null)
        {
            _bag.Report(DiagnosticDescriptors.DuplicateKey, at, Text.UserText.Quote(key), "the attributes", "from an earlier attribute");
            return;
        }

        map.Entries.Add(new YEntry(new YScalar(key, false, at), value));
    }

    private static YMapping Child(YMapping map, string key, NodeLocation at)
    {
        if (map.Get(key) is YMapping existing)
        {
            return existing;
        }

        var child = new YMapping(at);
        map.Entries.Add(new YEntry(new YScalar(key, false, at), child));
        return child;
    }
}
