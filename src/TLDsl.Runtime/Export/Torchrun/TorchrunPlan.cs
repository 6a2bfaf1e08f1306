using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.Json.Nodes;
using TLDsl.Runtime.Data;
using TLDsl.Runtime.Models;
using TLDsl.Runtime.Pipelines;
using TLDsl.Runtime.Surgery;
using TLDsl.Runtime.Training;
using TLDsl.Spec.Model;
using TLDsl.Spec.Registries;
using RuntimeHeadKind = TLDsl.Spec.Registries.HeadLayerKind;
using RuntimePolicy = TLDsl.Spec.Registries.BatchNormPolicy;
using RuntimeOptimizerKind = TLDsl.Spec.Registries.OptimizerKind;
using RuntimeCheckpointKeep = TLDsl.Spec.Registries.CheckpointKeep;

namespace TLDsl.Runtime.Export.Torchrun;

/// <summary>
/// The <c>pipeline.json</c> an exported torchrun program reads: the pipeline as TLDsl resolves it, so that the Python
/// side carries decisions out rather than making them again. Layer selections (freeze rules, phase unfreeze/freeze)
/// become the module names they cover in the built model; learning-rate rules become every trained parameter's base
/// rate per phase; data sources, splits and <c>limit_per_class</c> become the exact sample lists; normalisation becomes
/// per-channel constants. Every value of the spec maps through an exhaustive switch: a kind this exporter does not know
/// (a new augmentation, head layer, schedule...) is refused by its key before anything is written.
/// </summary>
internal static class TorchrunPlan
{
    /// <summary>The format tag train.py checks.</summary>
    public const string Format = "tldsl-torchrun/1";

    /// <summary>The catalogue models the program can build, with torchvision's (or its own) module for each.</summary>
    public static readonly IReadOnlyList<string> Architectures = ["small_cnn", "resnet18", "resnet34", "resnet50", "resnet18_imagenet", "mobilenet_v2", "mobilenet_v3_small", "mobilenet_v3_large"];

    /// <summary>Refuses what the program cannot express, naming the key; called before the model or data are built.</summary>
    /// <exception cref="PipelineException">A feature the exported program would not reproduce.</exception>
    public static void CheckSpec(PipelineFile file)
    {
        var spec = file.Spec;
        string where = $"{file.Path}: ";
        if (spec.Base.Source != BaseModelSource.Catalogue || spec.Base.Model is null)
        {
            throw Refused(where + "base.onnx", "an ONNX base model is imported into TorchSharp by TLDsl and has no PyTorch module to rebuild");
        }
        if (!Architectures.Contains(spec.Base.Model, StringComparer.Ordinal))
        {
            throw Refused(where + "base.model", $"'{spec.Base.Model}' is not one the program builds (it builds {string.Join(", ", Architectures)})");
        }
        if (spec.Data is null)
        {
            throw Refused(where + "data", "the pipeline has no data section to train on");
        }
        for (int i = 0; i < spec.Data.Augment.Count; i++)
        {
            _ = Augmentation(spec.Data.Augment[i], $"{where}data.augment[{i}]");
        }
        if (spec.Data.Tta.Count > 0)
        {
            throw Refused(where + "data.tta", "test-time augmentation is not implemented by the program (evaluate the run with tldsl evaluate, which applies it)");
        }
        if (spec.Train.Ema is not null)
        {
            throw Refused(where + "train.ema", "weight averaging is not implemented by the program");
        }
        _ = spec.Train.Loss.Kind switch
        {
            LossKind.CrossEntropy => 0,
            _ => throw Refused(where + "train.loss", $"loss '{spec.Train.Loss.Kind}' is not implemented by the program"),
        };
        foreach (var (phase, i) in spec.Train.Phases.Select((p, i) => (p, i)))
        {
            if (!phase.Augment)
            {
                throw Refused($"{where}train.phases[{i}].augment", "a phase without augmentation is not implemented by the program");
            }
            _ = phase.Schedule.Kind switch
            {
                ScheduleKind.Constant or ScheduleKind.Step or ScheduleKind.Cosine or ScheduleKind.OneCycle => 0,
                _ => throw Refused($"{where}train.phases[{i}].schedule", $"schedule '{phase.Schedule.Kind}' is not implemented by the program"),
            };
        }
        if (spec.Train.EarlyStopping is { } early)
        {
            _ = Metric(early.Metric, where + "train.early_stopping.metric");
        }
    }

    /// <summary>Builds the document.</summary>
    public static JsonObject Build(PipelineFile file, IReadOnlyList<string> labels, TransferModel model, DataPlan data, TrainingPlan plan,
        ImagePreprocessor evaluation, bool pixelShift)
    {
        string where = $"{file.Path}: ";
        var trained = model.named_parameters().Select(p => p.name)
            .Where(model.TrainableAcross(plan.Phases.Select(p => (p.Unfreeze, p.Freeze))).Contains)
            .ToList();
        return new JsonObject
        {
            ["format"] = Format,
            ["name"] = file.Spec.Name,
            ["pipeline_path"] = file.Path,
            ["pipeline_sha256"] = file.Hash,
            ["labels"] = Array(labels),
            ["model"] = Model(file, labels, model, where),
            ["input"] = Input(file.Spec, evaluation, pixelShift),
            ["data"] = Data(file.Spec, data, where),
            ["train"] = Train(plan, model, trained, data.ValidIndices.Length > 0, where),
            ["plan_record"] = new JsonObject(PlanRecord.Of(plan).Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value)))),
        };
    }

    private static JsonObject Model(PipelineFile file, IReadOnlyList<string> labels, TransferModel model, string where)
    {
        var steps = new JsonArray();
        foreach (var step in model.Steps)
        {
            string kind = step.Kind switch
            {
                Spec.Catalogue.LayoutStepKind.Child => "child",
                Spec.Catalogue.LayoutStepKind.GlobalAveragePool => "global_average_pool",
                Spec.Catalogue.LayoutStepKind.Flatten => "flatten",
                _ => throw Refused(where + "base.model", $"layout step '{step.Name}' ({step.Kind}) is not implemented by the program"),
            };
            steps.Add(new JsonObject { ["name"] = step.Name, ["kind"] = kind, ["truncate_at"] = step.TruncateAt });
        }
        var head = new JsonArray();
        var shape = model.FeatureShape.ToArray();
        var plan = PipelineInterpreter.ModelPlan(file, labels);
        for (int i = 0; i < plan.Head.Count; i++)
        {
            head.Add(HeadLayer(plan.Head[i], ref shape, $"{where}head[{i}]"));
        }
        var freeze = new JsonArray();
        foreach (var rule in plan.Freeze)
        {
            freeze.Add(new JsonObject { ["modules"] = Array(Covered(model, rule.Matches)), ["batchnorm"] = Policy(rule.BatchNorm, where + "freeze") });
        }
        return new JsonObject
        {
            ["architecture"] = model.Architecture.Name,
            ["steps"] = steps,
            ["head"] = head,
            ["freeze"] = freeze,
        };
    }

    private static JsonObject HeadLayer(HeadLayer layer, ref long[] shape, string key)
    {
        switch (layer.Kind)
        {
            case RuntimeHeadKind.Linear:
                var linear = new JsonObject { ["kind"] = "linear", ["in"] = shape[0], ["out"] = layer.Size, ["bias"] = layer.Bias };
                shape = [layer.Size];
                return linear;
            case RuntimeHeadKind.Dropout:
                return new JsonObject { ["kind"] = "dropout", ["p"] = layer.Probability };
            case RuntimeHeadKind.BatchNorm:
                return new JsonObject { ["kind"] = "batchnorm", ["features"] = shape[0], ["spatial"] = shape.Length == 3 };
            case RuntimeHeadKind.LayerNorm:
                return new JsonObject { ["kind"] = "layernorm", ["features"] = shape[0] };
            case RuntimeHeadKind.Flatten:
                shape = [shape.Aggregate(1L, (a, b) => a * b)];
                return new JsonObject { ["kind"] = "flatten" };
            case RuntimeHeadKind.AvgPool:
                shape = [shape[0]];
                return new JsonObject { ["kind"] = "avg_pool" };
            case RuntimeHeadKind.MaxPool:
                shape = [shape[0]];
                return new JsonObject { ["kind"] = "max_pool" };
            case RuntimeHeadKind.ConcatPool:
                shape = [2 * shape[0]];
                return new JsonObject { ["kind"] = "concat_pool" };
            case var plain when HeadLayers.Of(plain).Form == HeadLayerForm.Plain:
                // An activation without options (relu, gelu, silu, hardswish, ...): the program builds the torch.nn
                // class the registry names, so a new one needs no edit here.
                return new JsonObject { ["kind"] = "activation", ["module"] = ActivationClass(layer.Kind, key) };
            default:
                throw Refused(key, $"head layer '{layer.Kind}' is not implemented by the program");
        }
    }

    /// <summary>The torch.nn class of an option-less activation, from the registry's PyTorch module (<c>torch.nn.ReLU()</c>).</summary>
    private static string ActivationClass(RuntimeHeadKind kind, string key)
    {
        var info = HeadLayers.Of(kind);
        const string prefix = "torch.nn.", suffix = "()";
        if (info.Form != HeadLayerForm.Plain || !info.PyTorch.StartsWith(prefix, StringComparison.Ordinal) || !info.PyTorch.EndsWith(suffix, StringComparison.Ordinal))
        {
            throw Refused(key, $"head layer '{info.Display}' is not an option-less torch.nn activation the program can build");
        }
        return info.PyTorch[prefix.Length..^suffix.Length];
    }

    private static string Policy(RuntimePolicy policy, string key) => policy switch
    {
        RuntimePolicy.Eval => "eval",
        RuntimePolicy.TrainAffine => "train_affine",
        RuntimePolicy.Train => "train",
        _ => throw Refused(key, $"batchnorm policy '{policy}' is not implemented by the program"),
    };

    /// <summary>Every module (by full name) a selection covers: those it matches and everything under them.</summary>
    private static string[] Covered(TransferModel model, Func<string, bool> matches) =>
        model.Covered(matches).Select(m => m.Name).ToArray();

    private static JsonObject Input(PipelineSpec spec, ImagePreprocessor evaluation, bool pixelShift) => new()
    {
        ["height"] = spec.Input.Height,
        ["width"] = spec.Input.Width,
        ["channels"] = evaluation.Channels,
        ["scale"] = Array(evaluation.ChannelScale.Select(v => (double)v)),
        ["shift"] = Array(evaluation.ChannelShift.Select(v => (double)v)),
        ["reverse_channels"] = evaluation.ReversesChannels,
        ["pixel_shift"] = pixelShift,
    };

    private static JsonObject Data(PipelineSpec spec, DataPlan data, string where)
    {
        var augment = new JsonArray();
        for (int i = 0; i < spec.Data!.Augment.Count; i++)
        {
            augment.Add(Augmentation(spec.Data.Augment[i], $"{where}data.augment[{i}]"));
        }
        return new JsonObject
        {
            ["train"] = Split(data.Train, data.TrainIndices, where + "data.train"),
            ["valid"] = data.ValidIndices.Length > 0 ? Split(data.Valid, data.ValidIndices, where + "data.valid") : null,
            ["test"] = data.Test is { } test && data.TestIndices.Length > 0 ? Split(test, data.TestIndices, where + "data.test") : null,
            ["augment"] = augment,
        };
    }

    /// <summary>A split as (index in its source, IDX item or file path, label) per sample, in the split's order.</summary>
    private static JsonObject Split(IImageSource source, int[] indices, string key)
    {
        var samples = new JsonArray();
        switch (source)
        {
            case IdxImageSource idx:
                foreach (int i in indices)
                {
                    samples.Add(new JsonArray(i, idx.FileItem(i), source.LabelOf(i)));
                }
                return new JsonObject { ["kind"] = "idx", ["images"] = System.IO.Path.GetFullPath(idx.ImagesPath), ["samples"] = samples };
            case FolderImageSource or CsvImageSource:
                foreach (int i in indices)
                {
                    samples.Add(new JsonArray(i, System.IO.Path.GetFullPath(source.NameOf(i)), source.LabelOf(i)));
                }
                return new JsonObject { ["kind"] = "files", ["samples"] = samples };
            default:
                throw Refused(key, $"data source {source} is not one the program reads");
        }
    }

    private static JsonObject Augmentation(AugmentSpec augment, string key) => augment switch
    {
        RandomResizedCropSpec c => new JsonObject
        {
            ["kind"] = "random_resized_crop", ["scale"] = Array([c.ScaleMin, c.ScaleMax]), ["ratio"] = Array([c.RatioMin, c.RatioMax]),
        },
        FlipSpec { Vertical: true } f => new JsonObject { ["kind"] = "vertical_flip", ["p"] = f.P },
        FlipSpec f => new JsonObject { ["kind"] = "horizontal_flip", ["p"] = f.P },
        RotationSpec r => new JsonObject { ["kind"] = "rotation", ["degrees"] = r.Degrees },
        ColorJitterSpec j => new JsonObject
        {
            ["kind"] = "color_jitter", ["brightness"] = j.Brightness, ["contrast"] = j.Contrast, ["saturation"] = j.Saturation, ["hue"] = j.Hue,
        },
        _ => throw Refused(key, $"augmentation '{augment.Kind}' is not implemented by the program"),
    };

    private static JsonObject Train(TrainingPlan plan, TransferModel model, List<string> trained, bool hasValidation, string where)
    {
        var o = plan.Optimizer;
        string optimizer = o.Kind switch
        {
            RuntimeOptimizerKind.Sgd => "sgd",
            RuntimeOptimizerKind.Adam => "adam",
            RuntimeOptimizerKind.AdamW => "adamw",
            _ => throw Refused(where + "train.optimizer", $"optimizer '{o.Kind}' is not implemented by the program"),
        };
        var phases = new JsonArray();
        for (int i = 0; i < plan.Phases.Count; i++)
        {
            var phase = plan.Phases[i];
            double[] rates = Trainer.BaseRates(phase, o, trained);
            var rateMap = new JsonObject();
            for (int k = 0; k < trained.Count; k++)
            {
                rateMap[trained[k]] = rates[k];
            }
            phases.Add(new JsonObject
            {
                ["name"] = phase.Name,
                ["epochs"] = phase.Epochs,
                ["unfreeze"] = Array(phase.Unfreeze.SelectMany(m => Covered(model, m)).Distinct()),
                ["freeze"] = Array(phase.Freeze.SelectMany(rule => rule.BatchNorm == RuntimePolicy.Eval
                    ? Covered(model, rule.Matches)
                    : throw Refused($"{where}train.phases[{i}].freeze", "a phase's freeze with a BatchNorm policy other than eval"))
                    .Distinct()),
                ["rates"] = rateMap,
                ["schedule"] = Schedule(phase.Schedule, $"{where}train.phases[{i}].schedule"),
            });
        }
        string monitored = Trainer.MonitoredMetric(plan, hasValidation);
        _ = Metric(monitored, where + "train.early_stopping.metric");
        string keep = plan.Checkpoint.Keep switch
        {
            RuntimeCheckpointKeep.Best => "best",
            RuntimeCheckpointKeep.Last => "last",
            RuntimeCheckpointKeep.All => "all",
            _ => throw Refused(where + "train.checkpoint.keep", $"'{plan.Checkpoint.Keep}' is not implemented by the program"),
        };
        return new JsonObject
        {
            ["seed"] = plan.Seed,
            ["batch"] = plan.BatchSize,
            ["accumulate"] = plan.Accumulate,
            ["optimizer"] = new JsonObject
            {
                ["kind"] = optimizer, ["lr"] = o.LearningRate, ["weight_decay"] = o.WeightDecay, ["momentum"] = o.Momentum,
                ["nesterov"] = o.Nesterov, ["beta1"] = o.Beta1, ["beta2"] = o.Beta2, ["eps"] = o.Eps,
            },
            ["label_smoothing"] = plan.LabelSmoothing,
            ["class_weights"] = plan.ClassWeights is { Count: > 0 } w ? Array(w.Select(v => (double)v)) : null,
            ["clip_grad_norm"] = plan.ClipGradNorm,
            ["trained_parameters"] = Array(trained),
            ["phases"] = phases,
            ["early_stopping"] = plan.EarlyStopping is { } e
                ? new JsonObject { ["metric"] = e.Metric, ["maximize"] = e.Maximize, ["patience"] = e.Patience, ["min_delta"] = e.MinDelta }
                : null,
            ["monitored_metric"] = monitored,
            ["summary_metric"] = plan.EarlyStopping?.Metric ?? "valid.accuracy",
            ["checkpoint"] = new JsonObject { ["keep"] = keep, ["every_epochs"] = plan.Checkpoint.EveryEpochs },
        };
    }

    private static JsonObject Schedule(SchedulePlan schedule, string key) => schedule switch
    {
        ConstantSchedule => new JsonObject { ["kind"] = "constant" },
        StepSchedule s => new JsonObject { ["kind"] = "step", ["step_epochs"] = s.StepEpochs, ["gamma"] = s.Gamma },
        CosineSchedule c => new JsonObject
        {
            ["kind"] = "cosine", ["warmup_epochs"] = c.WarmupEpochs, ["warmup_steps"] = c.WarmupSteps, ["min_factor"] = c.MinFactor,
        },
        OneCycleSchedule o => new JsonObject
        {
            ["kind"] = "one_cycle", ["pct_start"] = o.PctStart, ["div_factor"] = o.DivFactor, ["final_div_factor"] = o.FinalDivFactor,
        },
        _ => throw Refused(key, $"schedule {schedule.GetType().Name} is not implemented by the program"),
    };

    private static string Metric(string metric, string key) => metric switch
    {
        "valid.accuracy" or "valid.loss" or "valid.macro_f1" or "valid.top5" or "train.accuracy" or "train.loss" => metric,
        _ => throw Refused(key, $"metric '{metric}' is not implemented by the program"),
    };

    private static JsonArray Array(IEnumerable<string> values) => new(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());

    private static JsonArray Array(IEnumerable<double> values) => new(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());

    /// <summary>The one error for a feature the exported program cannot express.</summary>
    internal static PipelineException Refused(string key, string why) =>
        new(string.Create(CultureInfo.InvariantCulture, $"{key}: cannot export for torchrun: {why}. Train this pipeline with 'tldsl train', or change the key."));
}
