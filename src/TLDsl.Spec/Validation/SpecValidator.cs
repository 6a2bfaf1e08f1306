using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using TLDsl.Spec.Catalogue;
using TLDsl.Spec.Diagnostics;
using TLDsl.Spec.Model;
using TLDsl.Spec.Parsing;
using TLDsl.Spec.Text;

namespace TLDsl.Spec.Validation;

/// <summary>
/// Semantic checks on a built spec: labels, the base model against the catalogue, drop/cut, normalisation, head
/// shapes, freeze rules and phases. Returns the spec with catalogue-derived values resolved.
/// </summary>
internal sealed class SpecValidator
{
    private static readonly string[] WeightFileExtensions = { ".pth", ".pt", ".safetensors", ".dat" };
    private static readonly string[] ClassifierWords = { "fc", "classifier", "head" };
    private readonly ValidationContext _ctx;
    private readonly ModelCatalogue _catalogue;
    private readonly PipelineParseOptions _options;
    private readonly string _filePath;

    public SpecValidator(ValidationContext context, ModelCatalogue catalogue, PipelineParseOptions options, string filePath)
    {
        _ctx = context;
        _catalogue = catalogue;
        _options = options;
        _filePath = filePath;
    }

    public PipelineSpec Validate(PipelineSpec spec)
    {
        CheckDefaultName(spec.Name);
        var labels = CheckLabels(spec.Labels);
        var baseSpec = ResolveBase(spec.Base);
        var input = ResolveInput(spec.Input, baseSpec);
        var head = new HeadShapeChecker(_ctx).Resolve(spec.Head, labels);
        _ = new TrainabilityChecker(_ctx).Check(spec.Freeze, spec.Train.Phases);
        CheckTrain(spec.Train, labels, spec.Data);
        new LimitChecker(_ctx).Check(spec.Train, spec.Data, input);
        new AugmentChecker(_ctx).Check(spec.Data, input);
        var train = new LayerDecay(_ctx).Resolve(spec.Train, baseSpec);
        return spec with { Labels = labels, Base = baseSpec, Input = input, Head = head, Train = train };
    }

    // A written name is checked by the key table; the default comes from the file or class name and becomes a folder name too.
    private void CheckDefaultName(string name)
    {
        if (!_ctx.Locator.Has("name") && name.Length > Schema.PipelineKeys.MaxNameLength)
        {
            _ctx.Report(DiagnosticDescriptors.InvalidFormat, "name", "The pipeline name (from the file or class name; set 'name' to choose one)",
                "a C# identifier of at most " + Schema.PipelineKeys.MaxNameLength.ToString(CultureInfo.InvariantCulture) + " characters", UserText.Quote(name));
        }
    }

    private LabelsSpec CheckLabels(LabelsSpec labels)
    {
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < labels.Items.Count; i++)
        {
            var label = labels.Items[i];
            var path = "labels[" + i.ToString(System.Globalization.CultureInfo.InvariantCulture) + "]";
            if (label.Identifier.Length == 0)
            {
                _ctx.Report(DiagnosticDescriptors.InvalidLabel, path, UserText.Quote(label.Name));
            }
            else if (seen.TryGetValue(label.Identifier, out var first))
            {
                _ctx.Report(DiagnosticDescriptors.DuplicateLabel, path, UserText.Quote(first), UserText.Quote(label.Name), UserText.Quote(label.Identifier));
            }
            else
            {
                seen[label.Identifier] = label.Name;
            }
        }

        return labels;
    }

    private BaseSpec ResolveBase(BaseSpec spec)
    {
        // A broken model reference or drop list would only cause follow-on errors; a broken weights key does not.
        var checker = _ctx.Checker;
        if (checker.HasErrorsUnder("base.model") || checker.HasErrorsUnder("base.onnx") || checker.HasErrorsUnder("base.drop") || checker.HasErrorsUnder("base.cut_at") || checker.HasErrorsUnder("base.layers") || checker.HasErrorAt("base"))
        {
            return spec;
        }

        if (spec.Source == BaseModelSource.Onnx)
        {
            ResolveOnnx(spec);
        }
        else if (spec.Model is not null)
        {
            if (_catalogue.TryGet(spec.Model, out var model))
            {
                _ctx.Model = model;
            }
            else
            {
                _ctx.Report(DiagnosticDescriptors.UnknownModel, "base.model", UserText.Quote(spec.Model), Suggestions.DidYouMean(spec.Model, _catalogue.Names), string.Join(", ", Suggestions.Nearest(spec.Model, _catalogue.Names, 5)));
            }

            if (spec.LayersPath is not null)
            {
                _ctx.Report(DiagnosticDescriptors.RequiresOtherKey, "base.layers", "base.layers", "with base.onnx (catalogue models are described by the catalogue)");
            }
        }

        CheckWeights(spec);
        return ResolveDrop(spec);
    }

    private void ResolveOnnx(BaseSpec spec)
    {
        CheckFileExists("base.onnx", spec.OnnxPath!);
        if (spec.WeightsKind != WeightsKind.None)
        {
            _ctx.Report(DiagnosticDescriptors.RequiresOtherKey, "base.weights", "base.weights", "with base.model (an ONNX file carries its own weights)");
        }

        if (spec.LayersPath is null)
        {
            _ctx.Report(DiagnosticDescriptors.OnnxNotChecked, "base.onnx", UserText.Quote(spec.OnnxPath));
            return;
        }

        var text = _options.ReadFile?.Invoke(PipelinePaths.Resolve(_filePath, spec.LayersPath));
        if (text is null)
        {
            _ctx.Report(DiagnosticDescriptors.LayerListingUnreadable, "base.layers", UserText.Quote(spec.LayersPath), _options.ReadFile is null ? "no file reader was given to the parser" : "the file was not found");
            return;
        }

        var listing = CatalogueReader.Read(text, out var errors);
        if (listing is null)
        {
            _ctx.Report(DiagnosticDescriptors.LayerListingUnreadable, "base.layers", UserText.Quote(spec.LayersPath), string.Join("; ", errors.Take(3)));
            return;
        }

        _ctx.Model = listing;
    }

    private void CheckWeights(BaseSpec spec)
    {
        if (spec.WeightsKind == WeightsKind.Named && _ctx.Model is { } model && spec.Source == BaseModelSource.Catalogue && model.FindWeights(spec.Weights!) is null)
        {
            var names = model.Weights.Select(w => w.Name).ToArray();
            _ctx.Report(DiagnosticDescriptors.UnknownWeights, "base.weights", model.Name, UserText.Quote(spec.Weights), names.Length == 0 ? "none" : Suggestions.QuoteList(names));
        }

        if (spec.WeightsKind == WeightsKind.File && !WeightFileExtensions.Any(e => spec.Weights!.EndsWith(e, StringComparison.OrdinalIgnoreCase)))
        {
            _ctx.Report(DiagnosticDescriptors.WeightsFileExtension, "base.weights", UserText.Quote(spec.Weights));
        }
        else if (spec.WeightsKind == WeightsKind.File && spec.Source == BaseModelSource.Catalogue)
        {
            CheckFileExists("base.weights", spec.Weights!);
        }

        if (spec.Sha256 is not null && spec.WeightsKind != WeightsKind.File)
        {
            _ctx.Report(DiagnosticDescriptors.RequiresOtherKey, "base.sha256", "base.sha256", "with a weights file");
        }
    }

    // TLD0041, where the caller says which files exist (the generator): the file as the runtime resolves it, next to the pipeline.
    private void CheckFileExists(string key, string written)
    {
        if (_options.FileExists is { } exists && PipelinePaths.Resolve(_filePath, written) is var resolved && !exists(resolved))
        {
            _ctx.Report(DiagnosticDescriptors.ModelFileNotFound, key, key, UserText.Quote(written), resolved);
        }
    }

    private BaseSpec ResolveDrop(BaseSpec spec)
    {
        var model = _ctx.Model;
        if (model is null)
        {
            return spec;
        }

        var children = model.Children.ToList();
        var dropped = new List<string>();
        for (var i = 0; i < spec.Drop.Count; i++)
        {
            var name = spec.Drop[i];
            var path = _ctx.Locator.Has("base.drop[" + i.ToString(System.Globalization.CultureInfo.InvariantCulture) + "]") ? "base.drop[" + i.ToString(System.Globalization.CultureInfo.InvariantCulture) + "]" : "base.drop";
            if (name == "classifier")
            {
                dropped.AddRange(model.Classifier);
            }
            else if (model.FindChild(name) is not null)
            {
                dropped.Add(name);
            }
            else if (model.Modules.Any(m => m.Name == name))
            {
                _ctx.Report(DiagnosticDescriptors.InvalidDrop, path, "base.drop", UserText.Quote(name), "it is not a top-level layer; top-level layers: " + string.Join(", ", children.Select(c => c.Name)));
            }
            else if (model.Classifier.IsEmpty && ClassifierWords.Contains(name))
            {
                _ctx.Report(DiagnosticDescriptors.DropNoOp, path, model.Name, UserText.Quote(name));
            }
            else
            {
                _ctx.KeptModules = model.Modules.Select(m => m.Name).ToArray();
                _ctx.ReportNoMatch("base.drop", name, path);
            }
        }

        var kept = children.Where(c => !dropped.Contains(c.Name)).ToList();
        var lastKept = kept.Count == 0 ? -1 : children.IndexOf(kept[kept.Count - 1]);
        foreach (var name in dropped.Distinct())
        {
            if (children.FindIndex(c => c.Name == name) < lastKept)
            {
                var index = spec.Drop.ToList().IndexOf(name);
                _ctx.Report(DiagnosticDescriptors.InvalidDrop, index >= 0 ? "base.drop[" + index.ToString(System.Globalization.CultureInfo.InvariantCulture) + "]" : "base.drop", "base.drop", name, "only trailing top-level layers can be dropped, and '" + kept[kept.Count - 1].Name + "' comes after it");
            }
        }

        if (spec.CutAt is { } cut)
        {
            var at = children.FindIndex(c => c.Name == cut);
            if (at >= 0)
            {
                kept = children.Take(at + 1).ToList();
            }
            else if (model.Modules.Any(m => m.Name == cut))
            {
                _ctx.Report(DiagnosticDescriptors.InvalidDrop, "base.cut_at", "base.cut_at", UserText.Quote(cut), "it is not a top-level layer; top-level layers: " + string.Join(", ", children.Select(c => c.Name)));
            }
            else
            {
                _ctx.KeptModules = model.Modules.Select(m => m.Name).ToArray();
                _ctx.ReportNoMatch("base.cut_at", cut, "base.cut_at");
            }
        }

        if (kept.Count == 0)
        {
            _ctx.Report(DiagnosticDescriptors.InvalidDrop, "base.drop", "base.drop", UserText.Quote(string.Join(", ", spec.Drop)), "nothing of the model would remain");
        }

        _ctx.KeptChildren = kept;
        var keptNames = new HashSet<string>(kept.Select(c => c.Name), StringComparer.Ordinal);
        _ctx.KeptModules = model.Modules.Select(m => m.Name).Where(n => keptNames.Contains(TopLevel(n))).ToArray();
        var droppedNames = children.Where(c => !keptNames.Contains(c.Name)).Select(c => c.Name);
        return spec with { Drop = EquatableArray.From(spec.CutAt is null ? droppedNames.Where(dropped.Contains) : droppedNames) };
    }

    // The top-level child a dotted module name belongs to (n.Split('.')[0] without splitting every name).
    private static string TopLevel(string name)
    {
        var dot = name.IndexOf('.');
        return dot < 0 ? name : name.Substring(0, dot);
    }

    private InputSpec ResolveInput(InputSpec input, BaseSpec baseSpec)
    {
        var model = _ctx.Model;
        var height = input.Height > 0 ? input.Height : model?.InputHeight ?? 224;
        var width = input.Width > 0 ? input.Width : model?.InputWidth ?? 224;
        var normalize = input.Normalize;
        if (_ctx.Checker.HasErrorsUnder("input") || _ctx.Checker.HasErrorsUnder("base.weights"))
        {
            return input with { Height = height, Width = width };
        }

        var path = _ctx.Locator.Has("input.normalize") ? "input.normalize" : "base.weights";
        switch (normalize.Kind)
        {
            case NormalizeKind.Weights:
                if (baseSpec.WeightsKind != WeightsKind.Named || baseSpec.Source == BaseModelSource.Onnx)
                {
                    var names = model is null ? "e.g. imagenet" : string.Join(", ", model.Weights.Select(w => w.Name).DefaultIfEmpty("this model lists none"));
                    _ctx.Report(DiagnosticDescriptors.NormalizeNeedsNamedWeights, path, "input.normalize", baseSpec.Weights ?? "none", names);
                }
                else if (model?.FindWeights(baseSpec.Weights!) is { } weights)
                {
                    normalize = FromWeights(normalize, weights);
                }

                break;
            case NormalizeKind.Named:
                if (model is not null)
                {
                    var named = model.FindWeights(normalize.WeightsName!);
                    if (named is null)
                    {
                        var names = model.Weights.Select(w => w.Name).ToArray();
                        _ctx.Report(DiagnosticDescriptors.UnknownWeights, "input.normalize", model.Name, UserText.Quote(normalize.WeightsName), names.Length == 0 ? "none" : Suggestions.QuoteList(names));
                    }
                    else
                    {
                        normalize = FromWeights(normalize, named);
                    }
                }

                break;
            case NormalizeKind.MeanStd:
                var channels = model?.Channels ?? normalize.Mean.Count;
                if (normalize.Mean.Count != channels)
                {
                    _ctx.Report(DiagnosticDescriptors.NormalizeChannels, "input.normalize.mean", "input.normalize.mean", normalize.Mean.Count, channels);
                }

                if (normalize.Std.Count != channels)
                {
                    _ctx.Report(DiagnosticDescriptors.NormalizeChannels, "input.normalize.std", "input.normalize.std", normalize.Std.Count, channels);
                }

                break;
        }

        return input with { Height = height, Width = width, Normalize = normalize };
    }

    private static NormalizeSpec FromWeights(NormalizeSpec spec, WeightsInfo weights) =>
        spec with { WeightsName = weights.Name, Mean = weights.Mean, Std = weights.Std, Bgr = weights.Bgr };

    private void CheckTrain(TrainSpec train, LabelsSpec labels, DataSpec? data)
    {
        const string weightsPath = "train.loss.cross_entropy.class_weights";
        if (!train.Loss.ClassWeights.IsEmpty && !labels.FromData && !_ctx.Checker.HasErrorsUnder("labels") && train.Loss.ClassWeights.Count != labels.Items.Count)
        {
            _ctx.Report(DiagnosticDescriptors.ClassWeightsCount, weightsPath, weightsPath, train.Loss.ClassWeights.Count, labels.Items.Count);
        }

        if (train.EarlyStopping is { } stopping && data is not null && data.Valid is null && data.ValidSplit is null
            && stopping.Metric.StartsWith("valid.", StringComparison.Ordinal))
        {
            var path = _ctx.Locator.Has("train.early_stopping.metric") ? "train.early_stopping.metric" : "train.early_stopping";
            _ctx.Report(DiagnosticDescriptors.MetricNeedsValidation, path, "train.early_stopping.metric", stopping.Metric);
        }

        if (data?.Valid is not null && _ctx.Locator.Has("data.valid.seed"))
        {
            _ctx.Report(DiagnosticDescriptors.RequiresOtherKey, "data.valid.seed", "data.valid.seed", "with data.valid.split");
        }

        if (data is { LimitSeed: not null, LimitPerClass: null } && _ctx.Locator.Has("data.limit_seed"))
        {
            _ctx.Report(DiagnosticDescriptors.RequiresOtherKey, "data.limit_seed", "data.limit_seed", "with data.limit_per_class");
        }

        if (data is not null)
        {
            CheckClasses(data.Train, "data.train", labels);
            CheckClasses(data.Valid, "data.valid", labels);
            CheckClasses(data.Test, "data.test", labels);
        }
    }

    /// <summary>TLD0040: <c>idx.classes</c> maps file label values onto the labels, so it needs one distinct value per label.</summary>
    private void CheckClasses(DataSourceSpec? source, string sourcePath, LabelsSpec labels)
    {
        var path = sourcePath + ".idx.classes";
        if (source is null || source.Classes.IsEmpty || _ctx.Checker.HasErrorsUnder(path) || labels.FromData)
        {
            return;
        }

        var labelText = labels.Items.Count.ToString(CultureInfo.InvariantCulture) + " labels";
        if (!labels.FromData && !_ctx.Checker.HasErrorsUnder("labels") && source.Classes.Count != labels.Items.Count)
        {
            var count = source.Classes.Count.ToString(CultureInfo.InvariantCulture);
            _ctx.Report(DiagnosticDescriptors.ClassSubset, path, path, "has " + count + " value" + (source.Classes.Count == 1 ? string.Empty : "s"), labelText);
        }

        var seen = new HashSet<int>();
        for (var i = 0; i < source.Classes.Count; i++)
        {
            if (!seen.Add(source.Classes[i]))
            {
                var item = path + "[" + i.ToString(CultureInfo.InvariantCulture) + "]";
                _ctx.Report(DiagnosticDescriptors.ClassSubset, _ctx.Locator.Has(item) ? item : path, path,
                    "lists " + source.Classes[i].ToString(CultureInfo.InvariantCulture) + " more than once", labelText);
            }
        }
    }
}
