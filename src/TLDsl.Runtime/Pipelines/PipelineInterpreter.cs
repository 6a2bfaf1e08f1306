using System;
using System.Collections.Generic;
using System.Linq;
using TLDsl.Runtime.Data;
using TLDsl.Runtime.Models;
using TLDsl.Runtime.Surgery;
using TLDsl.Runtime.Training;
using TLDsl.Spec.Catalogue;
using TLDsl.Spec.Model;
using TLDsl.Spec.Registries;

namespace TLDsl.Runtime.Pipelines;

/// <summary>Turns a validated pipeline into the runtime's plans: the model surgery, the data and the training.</summary>
public static class PipelineInterpreter
{
    /// <summary>The base architecture a pipeline names.</summary>
    /// <exception cref="PipelineException">An ONNX base model (see <see cref="ModelPlan"/>) or an unknown name.</exception>
    public static BaseArchitecture Architecture(PipelineSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Base.Source != BaseModelSource.Catalogue || spec.Base.Model is null)
        {
            throw new PipelineException($"pipeline '{spec.Name}': its base model is an ONNX file, which is imported when the model is built.");
        }
        return ModelZoo.TryGet(spec.Base.Model, out var architecture) && architecture is not null
            ? architecture
            : throw new PipelineException($"pipeline '{spec.Name}': base model '{spec.Base.Model}' is not in the runtime's model zoo.");
    }

    /// <summary>The class names, in label order: the pipeline's list, or the training data's folders.</summary>
    public static IReadOnlyList<string> Labels(PipelineFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var spec = file.Spec;
        if (!spec.Labels.FromData)
        {
            return spec.Labels.Items.Select(l => l.Name).ToArray();
        }
        if (spec.Data is null)
        {
            throw new PipelineException($"{file.Path}: labels: from_data needs a data section.");
        }
        return OpenSource(file, spec.Data.Train, null).Labels;
    }

    /// <summary>The model surgery: base, weights, drop or cut, head, freeze rules.</summary>
    public static TransferModelPlan ModelPlan(PipelineFile file, IReadOnlyList<string> labels)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(labels);
        var spec = file.Spec;
        var architecture = spec.Base.Source == BaseModelSource.Onnx
            ? Onnx.Import.OnnxBaseArchitecture.Create(file.Resolve(spec.Base.OnnxPath!), Normalization(spec, null))
            : Architecture(spec);
        BaseModelInfo? catalogue = spec.Base.Source == BaseModelSource.Catalogue && ModelCatalogue.Default.TryGet(architecture.Name, out var info) ? info : null;
        // For an ONNX base the spec cannot know the classifier's name; the importer does.
        var drop = spec.Base.Drop.Select(d => d == "classifier" && spec.Base.Source == BaseModelSource.Onnx
            ? architecture.Classifier ?? throw new PipelineException($"{file.Path}: the ONNX model has no classifier layer to drop.")
            : d).ToArray();
        WeightsSource weights = spec.Base.WeightsKind switch
        {
            WeightsKind.Named => new NamedWeightsSource(spec.Base.Weights!),
            WeightsKind.File => new FileWeightsSource(file.Resolve(spec.Base.Weights!), spec.Base.Sha256),
            _ => WeightsSource.None,
        };
        var head = spec.Head.Select(layer => HeadLayer(layer, labels.Count)).ToArray();
        var freeze = spec.Freeze.Select(rule => ModuleMatchers.Freeze(rule, catalogue)).ToArray();
        return new TransferModelPlan(architecture, weights, drop, spec.Base.CutAt, head, freeze,
            (spec.Input.Height, spec.Input.Width));
    }

    /// <summary>The preprocessing the model needs: size, the model's input channels (an ONNX base's from its graph) and
    /// the normalisation bound to its weights.</summary>
    public static ImagePreprocessor Preprocessor(PipelineFile file, bool withAugmentation)
    {
        ArgumentNullException.ThrowIfNull(file);
        var spec = file.Spec;
        int? channels = spec.Base.Source == BaseModelSource.Onnx ? Onnx.Import.OnnxBaseArchitecture.InputChannels(file.Resolve(spec.Base.OnnxPath!)) : null;
        return Preprocessor(spec, withAugmentation, channels);
    }

    /// <summary>The preprocessing the model needs: size, the model's input channels and the normalisation bound to its
    /// weights. An ONNX base is taken as RGB here: the <see cref="PipelineFile"/> overload reads its channels.</summary>
    public static ImagePreprocessor Preprocessor(PipelineSpec spec, bool withAugmentation) => Preprocessor(spec, withAugmentation, null);

    private static ImagePreprocessor Preprocessor(PipelineSpec spec, bool withAugmentation, int? onnxChannels)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var architecture = spec.Base.Source == BaseModelSource.Onnx ? null : Architecture(spec);
        var normalization = Normalization(spec, architecture);
        var augment = withAugmentation && spec.Data is not null
            ? spec.Data.Augment.Select(Augmentation).ToArray()
            : [];
        // The batches have the network's channels: grayscale data is repeated for an RGB model, colour data turned
        // to gray for a grayscale one (small_cnn, a 1-channel ONNX graph).
        return new ImagePreprocessor((spec.Input.Height, spec.Input.Width), architecture?.InputChannels ?? onnxChannels ?? 3, normalization, augment)
        {
            TestViews = spec.Data is null ? [] : spec.Data.Tta.Select(v => v.View).ToArray(),
        };
    }

    /// <summary>The training, validation and test samples.</summary>
    /// <exception cref="TLDsl.Runtime.Data.DataException">A missing or malformed source, or an empty split.</exception>
    public static DataPlan DataPlan(PipelineFile file, IReadOnlyList<string> labels)
    {
        ArgumentNullException.ThrowIfNull(file);
        var spec = file.Spec;
        var data = spec.Data ?? throw new PipelineException($"{file.Path}: the pipeline has no data section to train on.");
        var train = OpenSource(file, data.Train, labels);
        int seed = spec.Train.Seed;
        int[] trainIndices = DataSplits.All(train);
        if (data.LimitPerClass is int limit)
        {
            trainIndices = DataSplits.LimitPerClass(train, trainIndices, limit, data.LimitSeed ?? seed);
        }
        IImageSource valid = train;
        int[] validIndices = [];
        if (data.Valid is not null)
        {
            valid = OpenSource(file, data.Valid, labels);
            validIndices = DataSplits.All(valid);
        }
        else if (data.ValidSplit is not null)
        {
            (trainIndices, validIndices) = DataSplits.Split(train, trainIndices, data.ValidSplit.Fraction, data.ValidSplit.Seed);
        }
        if (trainIndices.Length == 0)
        {
            throw new DataException($"{train}: the training split is empty.");
        }
        if (data.ValidSplit is not null && validIndices.Length == 0)
        {
            throw new DataException($"{train}: the validation split ({data.ValidSplit.Fraction:0.###} of {trainIndices.Length} samples) is empty; use a larger fraction or more data.");
        }
        var plan = new DataPlan(train, trainIndices, valid, validIndices, Preprocessor(file, withAugmentation: true));
        if (data.Test is not null)
        {
            var test = OpenSource(file, data.Test, labels);
            plan = plan with { Test = test, TestIndices = DataSplits.All(test) };
        }
        return plan;
    }

    /// <summary>The optimizer, loss, phases, early stopping and checkpoint policy.</summary>
    public static TrainingPlan TrainingPlan(PipelineSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var t = spec.Train;
        var optimizer = new OptimizerPlan(t.Optimizer.Kind, t.Optimizer.Lr, t.Optimizer.WeightDecay, t.Optimizer.Momentum, t.Optimizer.Nesterov, t.Optimizer.Beta1, t.Optimizer.Beta2, t.Optimizer.Eps);
        var phases = t.Phases.Select(p => Phase(p, t.Optimizer.Lr)).ToArray();
        EarlyStoppingPlan? early = t.EarlyStopping is { } es
            ? new EarlyStoppingPlan(es.Metric, es.Mode == MetricMode.Max, es.Patience, es.MinDelta)
            : null;
        return new TrainingPlan(t.Seed, t.Batch, t.Accumulate, optimizer, t.Loss.LabelSmoothing,
            t.Loss.ClassWeights.Count > 0 ? t.Loss.ClassWeights.Select(w => (float)w).ToArray() : null,
            t.ClipGradNorm, phases, early, new CheckpointPlan(t.Checkpoint.Keep, t.Checkpoint.Every ?? 1))
        {
            Ema = t.Ema is { } ema ? new EmaPlan(ema.Decay, ema.Warmup) : null,
        };
    }

    private static PhasePlan Phase(PhaseSpec phase, double optimizerLr)
    {
        double baseLr = phase.Lr ?? optimizerLr;
        var s = phase.Schedule;
        SchedulePlan schedule = s.Kind switch
        {
            ScheduleKind.Step => new StepSchedule(s.StepSize ?? 1, s.Gamma),
            ScheduleKind.Cosine => new CosineSchedule(s.WarmupEpochs ?? 0, baseLr > 0 ? s.MinLr / baseLr : 0) { WarmupSteps = s.WarmupSteps ?? 0 },
            ScheduleKind.OneCycle => new OneCycleSchedule(s.PctStart),
            ScheduleKind.Constant => new ConstantSchedule(),
            _ => throw new PipelineException($"schedule '{s.Kind}' is not supported by this runtime."),
        };
        double? lr = s.Kind == ScheduleKind.OneCycle && s.MaxLr is double max ? max : phase.Lr;
        var rules = phase.LrGroups.Select(g => new LearningRateRule(g.Pattern, ModuleMatchers.Parameter(g.Pattern), g.Lr)).ToArray();
        return new PhasePlan(phase.Name, phase.Epochs,
            phase.Unfreeze.Count > 0 ? [ModuleMatchers.AnyGlob(phase.Unfreeze)] : [],
            phase.Freeze.Count > 0 ? [new FreezeRule("phase freeze " + string.Join(", ", phase.Freeze), ModuleMatchers.AnyGlob(phase.Freeze))] : [],
            rules, lr, schedule) { Augment = phase.Augment };
    }

    private static HeadLayer HeadLayer(HeadLayerSpec layer, int labelCount) => layer switch
    {
        LinearLayerSpec l => new HeadLayer(HeadLayerKind.Linear, l.OutIsLabels ? labelCount : l.OutFeatures ?? labelCount, Bias: l.Bias),
        DropoutLayerSpec d => new HeadLayer(HeadLayerKind.Dropout, Probability: d.P),
        NormLayerSpec or PoolLayerSpec or SimpleLayerSpec => new HeadLayer(layer.Kind),
        _ => throw new PipelineException($"head layer '{HeadLayers.Of(layer.Kind).Display}' ({layer.GetType().Name}) is not supported by this runtime."),
    };

    /// <summary>The input normalisation; an ONNX base (<paramref name="architecture"/> null) has no named weights, so
    /// <c>normalize: weights</c> means ImageNet statistics there.</summary>
    private static Models.Normalization Normalization(PipelineSpec spec, BaseArchitecture? architecture)
    {
        var n = spec.Input.Normalize;
        return n.Kind switch
        {
            NormalizeKind.MeanStd => new MeanStdNormalization(n.Mean.Select(v => (float)v).ToArray(), n.Std.Select(v => (float)v).ToArray()),
            NormalizeKind.BgrMean => new BgrMeanNormalization(n.Mean.Select(v => (float)v).ToArray()),
            NormalizeKind.None => new MeanStdNormalization([0f, 0f, 0f], [1f, 1f, 1f]),
            _ => architecture?.NormalizationFor(n.WeightsName ?? (spec.Base.WeightsKind == WeightsKind.Named ? spec.Base.Weights : null))
                ?? Models.Normalization.ImageNet,
        };
    }

    private static Data.Augmentation Augmentation(AugmentSpec spec) => spec switch
    {
        RandomResizedCropSpec c => new RandomResizedCrop(c.ScaleMin, c.ScaleMax, c.RatioMin, c.RatioMax),
        FlipSpec { Vertical: true } f => new VerticalFlip(f.P),
        FlipSpec f => new HorizontalFlip(f.P),
        RotationSpec r => new Rotation(r.Degrees),
        ColorJitterSpec j => new ColorJitter(j.Brightness, j.Contrast, j.Saturation, j.Hue),
        TrivialAugmentSpec t => new TrivialAugment(t.Bins),
        RandomErasingSpec e => new RandomErasing(e.P, e.ScaleMin, e.ScaleMax, e.RatioMin, e.RatioMax, e.RandomValue),
        PadCropSpec p => new PadCrop(p.Padding, p.Reflect),
        MixSpec m => new Mix(m.Kind switch
        {
            AugmentKind.Mixup => false,
            AugmentKind.CutMix => true,
            _ => throw new PipelineException($"augmentation '{m.Kind}' is not a mix."),
        }, m.Alpha, m.P),
        _ => throw new PipelineException($"augmentation '{spec.Kind}' is not supported by this runtime."),
    };

    private static IImageSource OpenSource(PipelineFile file, DataSourceSpec source, IReadOnlyList<string>? labels) => source.Kind switch
    {
        DataSourceKind.Idx => new IdxImageSource(file.Resolve(source.Path), file.Resolve(source.LabelsPath!),
            labels ?? throw new PipelineException($"{file.Path}: IDX data needs an explicit labels list."),
            source.Classes.IsEmpty ? null : source.Classes.ToArray()),
        DataSourceKind.Csv => new CsvImageSource(file.Resolve(source.Path), source.Root is null ? null : file.Resolve(source.Root), labels),
        _ => new FolderImageSource(file.Resolve(source.Path), labels),
    };
}
