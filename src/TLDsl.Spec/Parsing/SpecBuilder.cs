using System;
using System.Collections.Generic;
using System.Linq;
using TLDsl.Spec.Model;
using TLDsl.Spec.Registries;
using TLDsl.Spec.Validation;
using TLDsl.Spec.Yaml;
using static TLDsl.Spec.Parsing.TreeValues;

namespace TLDsl.Spec.Parsing;

/// <summary>
/// Turns a structurally checked tree into spec records, filling defaults that do not depend on the base model.
/// Catalogue-dependent values (input size, statistics, feature sizes) are resolved by the validator.
/// </summary>
internal static class SpecBuilder
{
    private static readonly string[] PipelineSuffixes = { ".tl.yaml", ".tl.yml", ".yaml", ".yml" };
    private static readonly char[] PathCharacters = { '/', '\\', '.' };

    public static PipelineSpec Build(YMapping root, string defaultName)
    {
        var baseSpec = BuildBase(Map(root, "base"));
        return new PipelineSpec(
            Int(root, "version") ?? 0,
            Str(root, "name") ?? defaultName,
            Str(root, "description"),
            baseSpec,
            BuildInput(Map(root, "input"), baseSpec.WeightsKind),
            BuildLabels(Get(root, "labels")),
            EquatableArray.From(Items(Get(root, "head")).Select(BuildHeadLayer).OfType<HeadLayerSpec>()),
            BuildFreeze(root),
            Has(root, "data") ? BuildData(Map(root, "data")) : null,
            BuildTrain(Map(root, "train")));
    }

    /// <summary>The default pipeline name: the file name without <c>.tl.yaml</c>, as a C# identifier.</summary>
    public static string NameFromPath(string filePath)
    {
        var name = filePath.Replace('\\', '/');
        name = name.Substring(name.LastIndexOf('/') + 1);
        foreach (var suffix in PipelineSuffixes)
        {
            if (name.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                name = name.Substring(0, name.Length - suffix.Length);
                break;
            }
        }

        return LabelNames.ToIdentifier(name) ?? "Pipeline";
    }

    public static WeightsKind ClassifyWeights(string? weights) =>
        weights is null || weights == "none" ? WeightsKind.None
        : weights.IndexOfAny(PathCharacters) >= 0 ? WeightsKind.File
        : WeightsKind.Named;

    private static BaseSpec BuildBase(YMapping? node)
    {
        var weights = Str(node, "weights");
        var kind = ClassifyWeights(weights);
        return new BaseSpec(
            Has(node, "onnx") ? BaseModelSource.Onnx : BaseModelSource.Catalogue,
            Str(node, "model"),
            Str(node, "onnx"),
            Str(node, "layers"),
            kind,
            kind == WeightsKind.None ? null : weights,
            Str(node, "sha256")?.ToLowerInvariant(),
            EquatableArray.From(Strings(Get(node, "drop"))),
            Str(node, "cut_at"));
    }

    private static InputSpec BuildInput(YMapping? node, WeightsKind weights)
    {
        var size = Get(node, "size");
        var square = Int(size);
        var pair = Items(size).Select(Int).ToArray();
        var height = square ?? (pair.Length == 2 ? pair[0] ?? 0 : 0);
        var width = square ?? (pair.Length == 2 ? pair[1] ?? 0 : 0);
        return new InputSpec(height, width, Int(node, "channels") ?? 3, BuildNormalize(Get(node, "normalize"), weights));
    }

    private static NormalizeSpec BuildNormalize(YNode? node, WeightsKind weights)
    {
        if (node is YMapping map)
        {
            return Has(map, "bgr_mean")
                ? new NormalizeSpec(NormalizeKind.BgrMean, null, EquatableArray.From(Numbers(Get(map, "bgr_mean"))), default, true)
                : new NormalizeSpec(NormalizeKind.MeanStd, null, EquatableArray.From(Numbers(Get(map, "mean"))), EquatableArray.From(Numbers(Get(map, "std"))), false);
        }

        var word = Str(node);
        return word switch
        {
            null => new NormalizeSpec(weights == WeightsKind.None ? NormalizeKind.None : NormalizeKind.Weights, null, default, default, false),
            "none" => new NormalizeSpec(NormalizeKind.None, null, default, default, false),
            "weights" => new NormalizeSpec(NormalizeKind.Weights, null, default, default, false),
            _ => new NormalizeSpec(NormalizeKind.Named, word, default, default, false),
        };
    }

    private static LabelsSpec BuildLabels(YNode? node) =>
        node is YSequence
            ? new LabelsSpec(false, EquatableArray.From(Strings(node).Select(l => new LabelSpec(l, LabelNames.ToIdentifier(l) ?? string.Empty))))
            : new LabelsSpec(Str(node) == "from_data", default);

    private static HeadLayerSpec? BuildHeadLayer(YNode node)
    {
        var (tag, body) = Tag(node);
        // A word the registry lacks has been reported by the schema check, and a spec built with errors is discarded:
        // the layer is left out rather than replaced by another kind.
        if (HeadLayers.Find(tag ?? string.Empty, Str(body)) is not { } info)
        {
            return null;
        }
        switch (info.Form)
        {
            case HeadLayerForm.Linear:
                var options = Map(body);
                var outNode = options is null ? body : Get(options, "out");
                var isLabels = Str(outNode) == "labels";
                return new LinearLayerSpec(Int(options, "in"), isLabels ? null : Int(outNode), isLabels, Bool(options, "bias") ?? true);
            case HeadLayerForm.Dropout:
                return new DropoutLayerSpec(null, Num(body) ?? 0);
            case HeadLayerForm.Norm:
                return new NormLayerSpec(info.Kind, null, false);
            case HeadLayerForm.Pool:
                return new PoolLayerSpec(info.Kind, null);
            case HeadLayerForm.Plain:
                return new SimpleLayerSpec(info.Kind, null);
            default:
                throw new InvalidOperationException("head layer form " + info.Form + " has no Spec record.");
        }
    }

    private static FreezeRuleSpec BuildFreezeRule(YNode node)
    {
        var map = Map(node);
        var word = Str(node);
        // Eval when absent; an unknown word has been reported by the schema check (and the spec is discarded).
        var policy = BatchNormPolicies.Registry.Find(Str(map, "batchnorm")) ?? BatchNormPolicy.Eval;
        if (word == "all" || Bool(map, "all") == true)
        {
            return new FreezeRuleSpec(FreezeSelector.All, default, null, policy);
        }

        if (word == "backbone" || Bool(map, "backbone") == true)
        {
            return new FreezeRuleSpec(FreezeSelector.Backbone, default, null, policy);
        }

        if (Has(map, "regex"))
        {
            return new FreezeRuleSpec(FreezeSelector.Regex, EquatableArray.Of(Str(map, "regex") ?? string.Empty), null, policy);
        }

        if (Has(map, "first_stages"))
        {
            return new FreezeRuleSpec(FreezeSelector.FirstStages, default, Int(map, "first_stages") ?? 0, policy);
        }

        return new FreezeRuleSpec(FreezeSelector.Layers, EquatableArray.From(Strings(Get(map, "layers"))), null, policy);
    }

    private static EquatableArray<FreezeRuleSpec> BuildFreeze(YMapping root)
    {
        var rules = Items(Get(root, "freeze")).Select(BuildFreezeRule).ToArray();
        // A recipe that trains the head on a frozen backbone freezes it itself when the pipeline says nothing.
        return rules.Length == 0 && !Has(root, "freeze") && Recipes.FreezesBackbone(Map(root, "train"))
            ? EquatableArray.Of(new FreezeRuleSpec(FreezeSelector.Backbone, default, null, BatchNormPolicy.Eval))
            : EquatableArray.From(rules);
    }

    private static DataSpec BuildData(YMapping? node)
    {
        var valid = Map(node, "valid");
        var split = Has(valid, "split") ? new ValidSplitSpec(Num(valid, "split") ?? 0, Int(valid, "seed") ?? 0) : null;
        return new DataSpec(
            BuildSource(Map(node, "train")) ?? new DataSourceSpec(DataSourceKind.Folder, string.Empty, null, null),
            split is null ? BuildSource(valid) : null,
            split,
            BuildSource(Map(node, "test")),
            EquatableArray.From(Items(Get(node, "augment")).Select(BuildAugment)),
            Int(node, "limit_per_class"),
            Int(node, "limit_seed"),
            EquatableArray.From(Strings(Get(node, "tta")).Select(BuildTtaView)));
    }

    private static DataSourceSpec? BuildSource(YMapping? node)
    {
        if (Has(node, "folder"))
        {
            return new DataSourceSpec(DataSourceKind.Folder, Str(node, "folder") ?? string.Empty, null, null);
        }

        if (Has(node, "idx"))
        {
            var idx = Map(node, "idx");
            return new DataSourceSpec(DataSourceKind.Idx, Str(idx, "images") ?? string.Empty, Str(idx, "labels"), null,
                EquatableArray.From(Items(Get(idx, "classes")).Select(i => Int(i) ?? -1)));
        }

        if (Has(node, "csv"))
        {
            var csv = Map(node, "csv");
            return new DataSourceSpec(DataSourceKind.Csv, Str(csv, "path") ?? string.Empty, null, Str(csv, "root"));
        }

        return null;
    }

    private static AugmentSpec BuildAugment(YNode node)
    {
        var (tag, body) = Tag(node);
        var map = Map(body);
        switch (tag)
        {
            case "random_resized_crop":
                var scale = Numbers(Get(map, "scale"));
                var ratio = Numbers(Get(map, "ratio"));
                return new RandomResizedCropSpec(
                    scale.Count == 2 ? scale[0] : 0.08,
                    scale.Count == 2 ? scale[1] : 1.0,
                    ratio.Count == 2 ? ratio[0] : 3.0 / 4.0,
                    ratio.Count == 2 ? ratio[1] : 4.0 / 3.0);
            case "rotation":
                return new RotationSpec(Num(map, "degrees") ?? 0);
            case "color_jitter":
                return new ColorJitterSpec(Num(map, "brightness") ?? 0, Num(map, "contrast") ?? 0, Num(map, "saturation") ?? 0, Num(map, "hue") ?? 0);
            case "trivial_augment":
                return new TrivialAugmentSpec(Int(map, "bins") ?? 31);
            case "random_erasing":
                var area = Numbers(Get(map, "scale"));
                var aspect = Numbers(Get(map, "ratio"));
                return new RandomErasingSpec(
                    Num(map, "p") ?? 0.5,
                    area.Count == 2 ? area[0] : 0.02,
                    area.Count == 2 ? area[1] : 0.33,
                    aspect.Count == 2 ? aspect[0] : 0.3,
                    aspect.Count == 2 ? aspect[1] : 3.3,
                    Str(map, "value") == "random");
            case "pad_crop":
                return new PadCropSpec(Int(map, "padding") ?? 4, Str(map, "fill") == "reflect");
            case "mixup":
                return new MixSpec(AugmentKind.Mixup, Num(map, "alpha") ?? 0.2, Num(map, "p") ?? 1);
            case "cutmix":
                return new MixSpec(AugmentKind.CutMix, Num(map, "alpha") ?? 1, Num(map, "p") ?? 1);
            default:
                // "flip", and any tag the key table has already reported as unknown (the spec is then discarded).
                return new FlipSpec(Num(map, "p") ?? 0.5, Bool(map, "vertical") ?? false);
        }
    }

    // Words the key table has reported as not allowed leave a spec that is discarded.
    private static TtaViewSpec BuildTtaView(string word) => new(word switch
    {
        "vertical_flip" => TtaView.VerticalFlip,
        "rotate90" => TtaView.Rotate90,
        _ => TtaView.Flip,
    });

    private static TrainSpec BuildTrain(YMapping? node)
    {
        var optimizer = BuildOptimizer(Get(node, "optimizer"));
        var phases = Has(node, "phases") ? Items(Get(node, "phases")).Select(BuildPhase).ToArray()
            : Has(node, "recipe") ? Recipes.Expand(Get(node, "recipe"), optimizer.Lr, Has(Map(Tag(Get(node, "optimizer")).Body), "lr"), ConstantSchedule with { Kind = ScheduleKind.OneCycle })
            : new[] { new PhaseSpec("phase1", Int(node, "epochs") ?? 1, default, default, null, default, ConstantSchedule) };
        var stopping = Map(node, "early_stopping");
        var checkpoint = Map(node, "checkpoint");
        return new TrainSpec(
            Int(node, "seed") ?? 0,
            Int(node, "batch") ?? 32,
            Int(node, "accumulate") ?? 1,
            optimizer,
            BuildLoss(Get(node, "loss")),
            Num(node, "clip_grad_norm"),
            EquatableArray.From(phases),
            Has(node, "early_stopping") ? BuildEarlyStopping(stopping) : null,
            new CheckpointSpec(
                CheckpointKeeps.Registry.Find(Str(checkpoint, "keep")) ?? CheckpointKeep.Best,
                Int(checkpoint, "every")),
            Str(node, "runs") ?? "runs",
            Has(node, "ema") ? new EmaSpec(Num(Map(node, "ema"), "decay") ?? 0.999, Bool(Map(node, "ema"), "warmup") ?? true) : null);
    }

    private static ScheduleSpec ConstantSchedule => new(ScheduleKind.Constant, null, 0.1, null, null, 0, null, 0.25);

    private static OptimizerSpec BuildOptimizer(YNode? node)
    {
        var (tag, body) = Tag(node);
        var map = Map(body);
        var betas = Numbers(Get(map, "betas"));
        // AdamW when absent (or unknown: the schema check has reported it, and the spec is discarded).
        var kind = Optimizers.Registry.Find(tag) ?? OptimizerKind.AdamW;
        return new OptimizerSpec(
            kind,
            Num(map, "lr") ?? (kind == OptimizerKind.Sgd ? 0.01 : 0.001),
            Num(map, "momentum") ?? 0.9,
            Bool(map, "nesterov") ?? false,
            Num(map, "weight_decay") ?? (kind == OptimizerKind.AdamW ? 0.01 : 0),
            betas.Count == 2 ? betas[0] : 0.9,
            betas.Count == 2 ? betas[1] : 0.999,
            Num(map, "eps") ?? 1e-8);
    }

    private static LossSpec BuildLoss(YNode? node)
    {
        var map = Map(Tag(node).Body);
        return new LossSpec(LossKind.CrossEntropy, Num(map, "label_smoothing") ?? 0, EquatableArray.From(Numbers(Get(map, "class_weights"))));
    }

    private static PhaseSpec BuildPhase(YNode node, int index)
    {
        var map = Map(node);
        var lr = Get(map, "lr");
        var groups = lr is YMapping lrMap
            ? lrMap.Entries.Select(e => new LrGroupSpec(e.Key.Value, Num(e.Value) ?? 0)).ToArray()
            : Array.Empty<LrGroupSpec>();
        return new PhaseSpec(
            Str(map, "name") ?? "phase" + (index + 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
            Int(map, "epochs") ?? 1,
            EquatableArray.From(Strings(Get(map, "unfreeze"))),
            EquatableArray.From(Strings(Get(map, "freeze"))),
            Num(lr),
            EquatableArray.From(groups),
            BuildSchedule(Get(map, "schedule")))
        {
            LrDecay = Num(map, "lr_decay"),
            Augment = Bool(map, "augment") ?? true,
        };
    }

    private static ScheduleSpec BuildSchedule(YNode? node)
    {
        var (tag, body) = Tag(node);
        var map = Map(body);
        // Constant when absent (or unknown: the schema check has reported it, and the spec is discarded).
        return (Schedules.Registry.Find(tag) ?? ScheduleKind.Constant) switch
        {
            ScheduleKind.Constant => ConstantSchedule,
            ScheduleKind.Step => ConstantSchedule with { Kind = ScheduleKind.Step, StepSize = Int(map, "step_size"), Gamma = Num(map, "gamma") ?? 0.1 },
            ScheduleKind.Cosine => ConstantSchedule with { Kind = ScheduleKind.Cosine, WarmupEpochs = Int(map, "warmup_epochs"), WarmupSteps = Int(map, "warmup_steps"), MinLr = Num(map, "min_lr") ?? 0 },
            ScheduleKind.OneCycle => ConstantSchedule with { Kind = ScheduleKind.OneCycle, MaxLr = Num(map, "max_lr"), PctStart = Num(map, "pct_start") ?? 0.25 },
            var other => throw new InvalidOperationException("schedule " + other + " has no Spec builder."),
        };
    }

    private static EarlyStoppingSpec BuildEarlyStopping(YMapping? node)
    {
        var metric = Str(node, "metric") ?? "valid.loss";
        var mode = Str(node, "mode") switch
        {
            "min" => MetricMode.Min,
            "max" => MetricMode.Max,
            _ => metric.EndsWith(".loss", StringComparison.Ordinal) ? MetricMode.Min : MetricMode.Max,
        };
        return new EarlyStoppingSpec(metric, mode, Int(node, "patience") ?? 3, Num(node, "min_delta") ?? 0);
    }
}
