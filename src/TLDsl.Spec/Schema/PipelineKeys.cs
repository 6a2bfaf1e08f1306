using System.Linq;
using TLDsl.Spec.Registries;

namespace TLDsl.Spec.Schema;

/// <summary>
/// The key table of the pipeline language, version 1: every key, its type, range, allowed values and documentation.
/// The structural checker and the JSON schema are both driven by <see cref="Root"/>.
/// </summary>
internal static class PipelineKeys
{
    public static readonly string[] BatchNormPolicies = Registries.BatchNormPolicies.Registry.Keys;
    public static readonly string[] Metrics = { "valid.loss", "valid.accuracy", "valid.macro_f1", "train.loss", "train.accuracy" };
    public const string IdentifierPattern = "^[A-Za-z_][A-Za-z0-9_]*$";
    public const string Sha256Pattern = "^[0-9a-fA-F]{64}$";

    // Limits (docs/pipeline-reference.md#limits says why each is what it is). Integers stay far from 2^31 so that
    // the runtime's 32-bit arithmetic (batch counts, sample offsets, epoch counters) cannot overflow.

    /// <summary>
    /// Largest batch: 65,536 samples, far from 32-bit overflow (2,147,483,647 trained nothing). For large images the
    /// one-batch limit (<see cref="Validation.LimitChecker"/>: batch × channels × height × width) is lower.
    /// </summary>
    public const int MaxBatch = 65_536;

    /// <summary>Most batches accumulated into one optimizer step.</summary>
    public const int MaxAccumulate = 65_536;

    /// <summary>Largest effective batch (batch × accumulate), 2^20 samples.</summary>
    public const int MaxEffectiveBatch = 1_048_576;

    /// <summary>Most values of one input batch (batch × channels × height × width): one float array and one tensor,
    /// which .NET arrays and 32-bit offsets can hold (8 GiB of float32).</summary>
    public const long MaxBatchValues = int.MaxValue;

    /// <summary>Largest input side in pixels: a 4096×4096×4 float image is 256 MiB; libtorch could not allocate 100,000².</summary>
    public const int MaxInputSide = 4096;

    /// <summary>Most epochs of one phase, and of all phases together.</summary>
    public const int MaxEpochs = 100_000;

    /// <summary>Longest name (pipeline, phase, label): names become file and folder names, which file systems cap at 255.</summary>
    public const int MaxNameLength = 100;

    /// <summary>Longest path value, and longest segment of one (the usual file-name limit).</summary>
    public const int MaxPathLength = 1024;

    /// <summary>Longest segment of a path value between separators.</summary>
    public const int MaxPathSegment = 255;

    /// <summary>Smallest nonzero learning rate or weight decay: far below any useful value, far above float32's smallest normal number (1.2e-38).</summary>
    public const double MinRate = 1e-12;

    /// <summary>
    /// Largest learning rate: float32 holds it (1e39 failed after a minute as "cannot be converted to type float").
    /// Rates far above any useful value stay allowed: they diverge, and training stops with a clear message.
    /// </summary>
    public const double MaxRate = 1e38;

    /// <summary>Largest linear layer output (classes): 65,536.</summary>
    public const int MaxFeatures = 65_536;

    /// <summary>Largest declared linear input, 2^20: far above any model's width (linear layers take pooled vectors).</summary>
    public const int MaxInputFeatures = 1_048_576;

    /// <summary>Most weights of one linear head layer (in × out), 2^28: 1 GiB of float32, before gradients and optimizer state.</summary>
    public const long MaxLinearWeights = 268_435_456;

    public static ObjectNode Root { get; } = BuildRoot();

    private static NumberNode Int(int min, int max = int.MaxValue) => new() { Integer = true, Min = min, Max = max == int.MaxValue ? null : max };

    private static NumberNode Range(double min, double max) => new() { Min = min, Max = max };

    /// <summary>A learning rate: a normal (not denormal) float32 number.</summary>
    private static NumberNode Rate() => Range(MinRate, MaxRate);

    /// <summary>Free text that becomes a name (folder, file, line of a file): bounded, no control characters.</summary>
    private static StringNode Name() => new() { MaxLength = MaxNameLength, NoControl = true };

    /// <summary>A file or folder path.</summary>
    private static StringNode PathString() => new() { MaxLength = MaxPathLength, MaxSegment = MaxPathSegment, NoControl = true };

    /// <summary>0 (off) or a rate-sized number: weight decay and final learning rates.</summary>
    private static NumberNode Decay() => new() { Min = 0, ZeroOrAtLeast = MinRate, Max = 1 };

    private static NumberNode Fraction(bool includeZero, bool includeOne) =>
        new() { Min = 0, MinExclusive = !includeZero, Max = 1, MaxExclusive = !includeOne };

    private static StringNode Str() => new();

    private static StringNode Enum(params string[] values) => new(values);

    private static ArrayNode Patterns() => new(Str(), 1, allowSingle: true);

    private static ObjectNode BuildRoot() => new ObjectNode()
        .Add("version", new NumberNode { Integer = true, Min = 1, Max = Parsing.PipelineUpgrader.CurrentVersion }, "Language version; must be 1.", required: true)
        .Add("name", new StringNode(null, IdentifierPattern, "a C# identifier") { MaxLength = MaxNameLength }, "Pipeline name, a C# identifier; generated types are named after it. Default: the file name in PascalCase.")
        .Add("description", Str(), "Free text.")
        .Add("base", Base(), "The pre-trained base model and what to remove from it.", required: true)
        .Add("input", Input(), "Input size, channels and normalisation. Default: the model's size, 3 channels, the weights' statistics.")
        .Add("labels", new ChoiceNode(new ArrayNode(Name(), 1), Enum("from_data")), "The classes: a list of names, or from_data (class folder names at run time).", required: true)
        .Add("head", new ArrayNode(HeadLayer()), "Layers added after the base model, in order.")
        .Add("freeze", new ArrayNode(FreezeRule()), "Freeze rules applied before the first phase, in order.")
        .Add("data", Data(), "Training, validation and test data, and augmentation.")
        .Add("train", Train(), "Optimizer, loss and training phases.", required: true);

    private static ObjectNode Base() => new ObjectNode()
        .Add("model", Name(), "Catalogue model name, e.g. resnet18 or resnet18_imagenet.")
        .Add("onnx", PathString(), "Path of an ONNX model file, relative to the pipeline file.")
        .Add("layers", PathString(), "With onnx: a layer listing file (catalogue format) so layer names are checked at build time.")
        .Add("weights", PathString(), "Named weights (e.g. imagenet), none, or a file: .pth, .pt, .safetensors, .dat.")
        .Add("sha256", new StringNode(null, Sha256Pattern, "64 hexadecimal digits"), "SHA-256 of the weights file; loading fails when it differs.")
        .Add("drop", Patterns(), "Trailing top-level layers to remove; the word classifier means the model's classifier layers.")
        .Add("cut_at", Str(), "Keep top-level layers up to and including this one; remove the rest.")
        .OneOf("model", "onnx")
        .NotTogether("drop", "cut_at");

    private static ObjectNode Input() => new ObjectNode()
        .Add("size", new ChoiceNode(Int(1, MaxInputSide), new ArrayNode(Int(1, MaxInputSide), 2, 2)), "Input size: [height, width] or one number for a square; at most 4096 pixels a side.")
        .Add("channels", new NumberNode { Integer = true, Min = 1, Max = 4 }, "Channels of the data; 1 (grayscale) is repeated to the model's channels.")
        .Add("normalize", Normalize(), "weights (the weights' statistics), none, a named weights' statistics (e.g. imagenet), {mean, std} or {bgr_mean}.");

    private static ChoiceNode Normalize() => new(
        new StringNode(null, "^[A-Za-z0-9_]+$", "weights, none or a weights name"),
        new ObjectNode()
            .Add("mean", new ArrayNode(Range(0, 1), 1), "Per-channel means of [0, 1] RGB pixels (so in [0, 1]).", required: true)
            .Add("std", new ArrayNode(Range(0.001, 10), 1), "Per-channel standard deviations, in [0.001, 10].", required: true),
        new ObjectNode()
            .Add("bgr_mean", new ArrayNode(Range(0, 255), 3, 3), "B, G, R means (in [0, 255]) subtracted from 0-255 pixels reordered to BGR; no std.", required: true));

    private static TaggedNode HeadLayer()
    {
        var labelsOrCount = new ChoiceNode(Int(1, MaxFeatures), Enum("labels"));
        var linear = new ChoiceNode(
            Int(1, MaxFeatures),
            Enum("labels"),
            new ObjectNode()
                .Add("out", labelsOrCount, "Output features: a number or labels (the number of labels).", required: true)
                .Add("in", Int(1, MaxInputFeatures), "Expected input features; checked against what the layer receives.")
                .Add("bias", new BoolNode(), "Whether the layer has a bias (default true)."));
        // Every kind of the registry, in its order; the kinds sharing a tag (pool) are one tag whose value picks the kind.
        var node = new TaggedNode();
        foreach (var key in Registries.HeadLayers.Keys)
        {
            var kinds = Registries.HeadLayers.All.Where(e => e.Key == key).ToArray();
            var first = kinds[0];
            _ = first.Form switch
            {
                HeadLayerForm.Linear => node.Add(key, linear, false, first.Description),
                HeadLayerForm.Dropout => node.Add(key, Fraction(true, false), false, first.Description),
                HeadLayerForm.Norm or HeadLayerForm.Plain => node.Add(key, null, true, first.Description),
                HeadLayerForm.Pool => node.Add(key, Enum(kinds.Select(k => k.Argument!).ToArray()), true, first.Description),
                _ => throw new System.InvalidOperationException("head layer form " + first.Form + " has no schema."),
            };
        }
        return node;
    }

    private static ChoiceNode FreezeRule() => new(
        Enum("backbone", "all"),
        new ObjectNode()
            .Add("layers", Patterns(), "Layer names or globs (* within a name segment, ** across dots).")
            .Add("regex", new StringNode { MaxLength = MaxPathLength }, "A .NET regex matching whole layer names.")
            .Add("first_stages", Int(1, 1000), "The first N stages of the model.")
            .Add("backbone", new BoolNode(), "true: every layer of the base model.")
            .Add("all", new BoolNode(), "true: every layer including the head.")
            .Add("batchnorm", Enum(BatchNormPolicies), "Frozen BatchNorm: eval (default: statistics and affine frozen), train_affine, or train.")
            .OneOf("layers", "regex", "first_stages", "backbone", "all"));

    private static ObjectNode Source(bool valid)
    {
        var node = new ObjectNode()
            .Add("folder", PathString(), "A folder with one subfolder of images per class.")
            .Add(
                "idx",
                new ObjectNode()
                    .Add("images", PathString(), "IDX images file (raw or .gz).", required: true)
                    .Add("labels", PathString(), "IDX labels file (raw or .gz).", required: true)
                    .Add("classes", new ArrayNode(new NumberNode { Integer = true, Min = 0, Max = 255 }, 1), "A subset of classes: the file's label values, in order, that become the pipeline's labels (one per label, distinct); samples with other values are skipped."),
                "IDX files (MNIST format).")
            .Add(
                "csv",
                new ObjectNode()
                    .Add("path", PathString(), "CSV file with columns path,label.", required: true)
                    .Add("root", PathString(), "Folder the image paths are relative to (default: the CSV's folder)."),
                "A CSV file of image paths and labels.");
        if (!valid)
        {
            return node.OneOf("folder", "idx", "csv");
        }

        return node
            .Add("split", Fraction(false, false), "Hold out this fraction of the training data, in (0, 1).")
            .Add("seed", Int(0), "Seed of the split (default 0).")
            .OneOf("folder", "idx", "csv", "split");
    }

    private static ObjectNode Data() => new ObjectNode()
        .Add("train", Source(false), "Training data.", required: true)
        .Add("valid", Source(true), "Validation data: a source, or {split, seed}.")
        .Add("test", Source(false), "Test data.")
        .Add("augment", new ArrayNode(Augment()), "Training-time augmentations, in order within their stage (image, network input, normalised input, batch).")
        .Add("tta", new ArrayNode(Enum("flip", "vertical_flip", "rotate90"), 1), "Test-time augmentation for evaluate and predict: views averaged with the plain image.")
        .Add("limit_per_class", Int(1, 100_000_000), "Use at most this many training samples per class.")
        .Add("limit_seed", Int(0), "Seed of the limit_per_class draw (default: train.seed); set it to vary train.seed over the same images.");

    private static TaggedNode Augment() => new TaggedNode()
        .Add(
            "random_resized_crop",
            new ObjectNode()
                .Add("scale", new ArrayNode(Fraction(false, true), 2, 2), "[min, max] area fraction, min <= max (default [0.08, 1]).")
                .Add("ratio", new ArrayNode(Range(0.01, 100), 2, 2), "[min, max] aspect ratio in [0.01, 100], min <= max (default [0.75, 1.3333])."),
            true,
            "Random crop of random area and aspect ratio, resized to the input size.")
        .Add(
            "flip",
            new ObjectNode()
                .Add("p", Fraction(true, true), "Probability (default 0.5).")
                .Add("vertical", new BoolNode(), "Flip vertically instead of horizontally (default false)."),
            true,
            "Random flip.")
        .Add(
            "rotation",
            new ObjectNode().Add("degrees", new NumberNode { Min = 0, MinExclusive = true, Max = 180 }, "Largest rotation in degrees.", required: true),
            false,
            "Random rotation in [-degrees, degrees].")
        .Add(
            "color_jitter",
            new ObjectNode()
                .Add("brightness", Range(0, 10), "Brightness strength (default 0).")
                .Add("contrast", Range(0, 10), "Contrast strength (default 0).")
                .Add("saturation", Range(0, 10), "Saturation strength (default 0).")
                .Add("hue", new NumberNode { Min = 0, Max = 0.5 }, "Hue shift (default 0)."),
            true,
            "Random colour changes.")
        .Add(
            "trivial_augment",
            new ObjectNode().Add("bins", Int(2, 1000), "Magnitude levels (default 31)."),
            true,
            "TrivialAugmentWide: one random operation of random strength per image.")
        .Add(
            "random_erasing",
            new ObjectNode()
                .Add("p", Fraction(true, true), "Probability (default 0.5).")
                .Add("scale", new ArrayNode(Fraction(false, true), 2, 2), "[min, max] erased area fraction, min <= max (default [0.02, 0.33]).")
                .Add("ratio", new ArrayNode(Range(0.01, 100), 2, 2), "[min, max] aspect ratio in [0.01, 100], min <= max (default [0.3, 3.3]).")
                .Add("value", Enum("zero", "random"), "zero (the mean colour, default) or random (normal noise per pixel)."),
            true,
            "Erase a random rectangle of the normalised input.")
        .Add(
            "pad_crop",
            new ObjectNode()
                .Add("padding", Int(1, MaxInputSide), "Pixels of padding a side (default 4).")
                .Add("fill", Enum("zero", "reflect"), "zero (black, default) or reflect."),
            true,
            "Pad the network-sized image and crop it back at a random offset.")
        .Add("mixup", MixOptions(0.2), true, "Mixup: blend each sample with another of the batch; the loss mixes both labels.")
        .Add("cutmix", MixOptions(1.0), true, "CutMix: paste a rectangle from another sample of the batch; the loss mixes both labels by area.");

    private static ObjectNode MixOptions(double alpha) => new ObjectNode()
        .Add("alpha", Range(0.01, 100), "Beta(alpha, alpha) draws the mixing share, alpha in [0.01, 100] (default " + alpha.ToString(System.Globalization.CultureInfo.InvariantCulture) + ").")
        .Add("p", Fraction(true, true), "Probability per sample (default 1).");

    private static ObjectNode Train() => new ObjectNode()
        .Add("seed", Int(0), "Random seed (default 0).")
        .Add("batch", Int(1, MaxBatch), "Batch size (default 32); batch × accumulate at most 1,048,576.")
        .Add("accumulate", Int(1, MaxAccumulate), "Gradient accumulation steps (default 1).")
        .Add("epochs", Int(1, MaxEpochs), "Shorthand for one phase of this many epochs.")
        .Add("optimizer", Optimizer(), "sgd, adam or adamw, with options (default adamw).")
        .Add("loss", Loss(), "Loss (default cross_entropy).")
        .Add("clip_grad_norm", Range(1e-6, 1e6), "Clip the gradient norm to this value.")
        .Add("phases", new ArrayNode(Phase(), 1), "Training phases in order (gradual unfreezing).")
        .Add("recipe", Recipe(), "A training recipe, expanded to phases (tldsl inspect shows them): fine_tune.")
        .Add(
            "early_stopping",
            new ObjectNode()
                .Add("metric", Enum(Metrics), "Metric to watch (default valid.loss).")
                .Add("mode", Enum("min", "max"), "min or max (default: max for accuracy and F1, min for loss).")
                .Add("patience", Int(1, MaxEpochs), "Epochs without improvement before stopping (default 3).")
                .Add("min_delta", Range(0, 1000), "Smallest change that counts as improvement (default 0)."),
            "Stop when a metric stops improving.")
        .Add(
            "checkpoint",
            new ObjectNode()
                .Add("keep", Enum(CheckpointKeeps.Registry.Keys), "Which checkpoints to keep (default best).")
                .Add("every", Int(1, MaxEpochs), "Save every N epochs."),
            "Checkpoint policy.")
        .Add("runs", PathString(), "Folder for run outputs, relative to the pipeline file (default runs).")
        .Add(
            "ema",
            new ObjectNode()
                .Add("decay", Fraction(false, false), "Share of the average kept per optimizer step, in (0, 1) (default 0.999).")
                .Add("warmup", new BoolNode(), "Decay min(decay, (1 + step) / (10 + step)) early on (default true)."),
            "Exponential moving average of the weights: validated, checkpointed and used by evaluate, predict and export.")
        .OneOf("epochs", "phases", "recipe");

    private static TaggedNode Optimizer()
    {
        ObjectNode Adam() => new ObjectNode()
            .Add("lr", Rate(), "Learning rate (default 0.001).")
            .Add("betas", new ArrayNode(Fraction(true, false), 2, 2), "[beta1, beta2] (default [0.9, 0.999]).")
            .Add("eps", Range(1e-30, 1), "Epsilon (default 1e-8).")
            .Add("weight_decay", Decay(), "Weight decay (default 0 for adam, 0.01 for adamw).");
        return new TaggedNode()
            .Add(
                "sgd",
                new ObjectNode()
                    .Add("lr", Rate(), "Learning rate (default 0.01).")
                    .Add("momentum", Fraction(true, false), "Momentum in [0, 1) (default 0.9).")
                    .Add("nesterov", new BoolNode(), "Nesterov momentum (default false).")
                    .Add("weight_decay", Decay(), "Weight decay (default 0)."),
                true,
                "Stochastic gradient descent.")
            .Add("adam", Adam(), true, "Adam.")
            .Add("adamw", Adam(), true, "AdamW (decoupled weight decay).");
    }

    private static TaggedNode Loss() => new TaggedNode()
        .Add(
            "cross_entropy",
            new ObjectNode()
                .Add("label_smoothing", Fraction(true, false), "Label smoothing in [0, 1) (default 0).")
                .Add("class_weights", new ArrayNode(Range(1e-6, 1e6), 1), "One weight per label, in label order."),
            true,
            "Cross-entropy on logits.");

    private static ObjectNode Phase() => new ObjectNode()
        .Add("name", Name(), "Phase name (default phase1, phase2, ...).")
        .Add("epochs", Int(1, MaxEpochs), "Epochs in this phase.", required: true)
        .Add("unfreeze", Patterns(), "Layers made trainable from this phase on (names, globs, head).")
        .Add("freeze", Patterns(), "Layers frozen from this phase on.")
        .Add("lr", new ChoiceNode(Rate(), new ObjectNode { AnyKey = Rate() }), "Learning rate, or a map pattern → learning rate (discriminative; head = the added layers).")
        .Add("schedule", Schedule(), "constant (default), step, cosine or one_cycle.")
        .Add("lr_decay", LrDecay(), "Layer-wise rate decay in (0, 1]: the model's stages get the phase rate times lr_decay^k, k = 1 for the stage under the head.")
        .Add("augment", new BoolNode(), "Train this phase with data.augment (default true); false keeps a frozen prefix cacheable.");

    private static NumberNode LrDecay() => Fraction(false, true);

    // Recipes (issue #17): shorthands that SpecBuilder expands into explicit phases (Parsing/Recipes.cs).
    private static TaggedNode Recipe() => new TaggedNode()
        .Add(
            "fine_tune",
            new ObjectNode()
                .Add("epochs", Int(1, MaxEpochs), "Epochs with everything unfrozen (default " + Parsing.Recipes.FineTuneEpochs + ").")
                .Add("freeze_epochs", Int(1, MaxEpochs), "Epochs of the head on the frozen backbone first (default " + Parsing.Recipes.FineTuneFreezeEpochs + ").")
                .Add("lr", Rate(), "Head rate of the frozen phase; the unfrozen phase uses half of it (default: the optimizer's lr if written, else 2e-3).")
                .Add("lr_decay", LrDecay(), "Per-stage decay of the unfrozen phase's rates from the head down (default " + Parsing.Recipes.FineTuneLrDecayText + ")."),
            true,
            "fastai's fine_tune: the head on the frozen backbone (features cached, no augmentation), then every layer with per-stage rates.");

    private static TaggedNode Schedule() => new TaggedNode()
        .Add("constant", null, true, "Constant learning rate.")
        .Add(
            "step",
            new ObjectNode()
                .Add("step_size", Int(1, MaxEpochs), "Epochs between decays.", required: true)
                .Add("gamma", Range(1e-6, 1), "Decay factor (default 0.1)."),
            false,
            "Step decay.")
        .Add(
            "cosine",
            new ObjectNode()
                .Add("warmup_epochs", Int(0, MaxEpochs), "Linear warmup epochs.")
                .Add("warmup_steps", Int(0, 100_000_000), "Linear warmup optimizer steps.")
                .Add("min_lr", new NumberNode { Min = 0, ZeroOrAtLeast = MinRate, Max = MaxRate }, "Final learning rate (default 0).")
                .NotTogether("warmup_epochs", "warmup_steps"),
            true,
            "Cosine annealing with optional warmup.")
        .Add(
            "one_cycle",
            new ObjectNode()
                .Add("max_lr", Rate(), "Peak learning rate (default: the phase's lr).")
                .Add("pct_start", Fraction(false, false), "Fraction of the phase spent warming up (default 0.25)."),
            true,
            "One-cycle policy.");
}
