namespace TLDsl.Spec.Schema;

/// <summary>
/// The key table of the pipeline language, version 1: every key, its type, range, allowed values and documentation.
/// The structural checker and the JSON schema are both driven by <see cref="Root"/>.
/// </summary>
internal static class PipelineKeys
{
    public static readonly string[] BatchNormPolicies = { "eval", "train_affine", "train" };
    public static readonly string[] Metrics = { "valid.loss", "valid.accuracy", "valid.macro_f1", "train.loss", "train.accuracy" };
    public const string IdentifierPattern = "^[A-Za-z_][A-Za-z0-9_]*$";
    public const string Sha256Pattern = "^[0-9a-fA-F]{64}$";

    public static ObjectNode Root { get; } = BuildRoot();

    private static NumberNode Int(int min) => new() { Integer = true, Min = min };

    private static NumberNode Positive() => new() { Min = 0, MinExclusive = true };

    private static NumberNode NonNegative() => new() { Min = 0 };

    private static NumberNode Fraction(bool includeZero, bool includeOne) =>
        new() { Min = 0, MinExclusive = !includeZero, Max = 1, MaxExclusive = !includeOne };

    private static StringNode Str() => new();

    private static StringNode Enum(params string[] values) => new(values);

    private static ArrayNode Patterns() => new(Str(), 1, allowSingle: true);

    private static ObjectNode BuildRoot() => new ObjectNode()
        .Add("version", new NumberNode { Integer = true, Min = 1, Max = Parsing.PipelineUpgrader.CurrentVersion }, "Language version; must be 1.", required: true)
        .Add("name", new StringNode(null, IdentifierPattern, "a C# identifier"), "Pipeline name, a C# identifier; generated types are named after it. Default: the file name in PascalCase.")
        .Add("description", Str(), "Free text.")
        .Add("base", Base(), "The pre-trained base model and what to remove from it.", required: true)
        .Add("input", Input(), "Input size, channels and normalisation. Default: the model's size, 3 channels, the weights' statistics.")
        .Add("labels", new ChoiceNode(new ArrayNode(Str(), 1), Enum("from_data")), "The classes: a list of names, or from_data (class folder names at run time).", required: true)
        .Add("head", new ArrayNode(HeadLayer()), "Layers added after the base model, in order.")
        .Add("freeze", new ArrayNode(FreezeRule()), "Freeze rules applied before the first phase, in order.")
        .Add("data", Data(), "Training, validation and test data, and augmentation.")
        .Add("train", Train(), "Optimizer, loss and training phases.", required: true);

    private static ObjectNode Base() => new ObjectNode()
        .Add("model", Str(), "Catalogue model name, e.g. resnet18 or resnet18_imagenet.")
        .Add("onnx", Str(), "Path of an ONNX model file, relative to the pipeline file.")
        .Add("layers", Str(), "With onnx: a layer listing file (catalogue format) so layer names are checked at build time.")
        .Add("weights", Str(), "Named weights (e.g. imagenet), none, or a file: .pth, .pt, .safetensors, .dat.")
        .Add("sha256", new StringNode(null, Sha256Pattern, "64 hexadecimal digits"), "SHA-256 of the weights file; loading fails when it differs.")
        .Add("drop", Patterns(), "Trailing top-level layers to remove; the word classifier means the model's classifier layers.")
        .Add("cut_at", Str(), "Keep top-level layers up to and including this one; remove the rest.")
        .OneOf("model", "onnx")
        .NotTogether("drop", "cut_at");

    private static ObjectNode Input() => new ObjectNode()
        .Add("size", new ChoiceNode(Int(1), new ArrayNode(Int(1), 2, 2)), "Input size: [height, width] or one number for a square.")
        .Add("channels", new NumberNode { Integer = true, Min = 1, Max = 4 }, "Channels of the data; 1 (grayscale) is repeated to the model's channels.")
        .Add("normalize", Normalize(), "weights (the weights' statistics), none, a named weights' statistics (e.g. imagenet), {mean, std} or {bgr_mean}.");

    private static ChoiceNode Normalize() => new(
        new StringNode(null, "^[A-Za-z0-9_]+$", "weights, none or a weights name"),
        new ObjectNode()
            .Add("mean", new ArrayNode(new NumberNode(), 1), "Per-channel means of [0, 1] RGB pixels.", required: true)
            .Add("std", new ArrayNode(Positive(), 1), "Per-channel standard deviations.", required: true),
        new ObjectNode()
            .Add("bgr_mean", new ArrayNode(new NumberNode(), 3, 3), "B, G, R means subtracted from 0-255 pixels reordered to BGR; no std.", required: true));

    private static TaggedNode HeadLayer()
    {
        var labelsOrCount = new ChoiceNode(Int(1), Enum("labels"));
        var linear = new ChoiceNode(
            Int(1),
            Enum("labels"),
            new ObjectNode()
                .Add("out", labelsOrCount, "Output features: a number or labels (the number of labels).", required: true)
                .Add("in", Int(1), "Expected input features; checked against what the layer receives.")
                .Add("bias", new BoolNode(), "Whether the layer has a bias (default true)."));
        return new TaggedNode()
            .Add("linear", linear, false, "Fully connected layer: linear: N, linear: labels, or {out, in, bias}.")
            .Add("relu", null, true, "ReLU activation.")
            .Add("gelu", null, true, "GELU activation.")
            .Add("silu", null, true, "SiLU (swish) activation.")
            .Add("dropout", Fraction(true, false), false, "Dropout with probability p in [0, 1).")
            .Add("batchnorm", null, true, "BatchNorm (1d on vectors, 2d on spatial maps).")
            .Add("layernorm", null, true, "LayerNorm over the feature vector.")
            .Add("flatten", null, true, "Flatten to a vector.")
            .Add("pool", Enum("avg", "max", "concat"), true, "Global pooling: avg (default), max, or concat (avg and max: twice the channels).");
    }

    private static ChoiceNode FreezeRule() => new(
        Enum("backbone", "all"),
        new ObjectNode()
            .Add("layers", Patterns(), "Layer names or globs (* within a name segment, ** across dots).")
            .Add("regex", Str(), "A .NET regex matching whole layer names.")
            .Add("first_stages", Int(1), "The first N stages of the model.")
            .Add("backbone", new BoolNode(), "true: every layer of the base model.")
            .Add("all", new BoolNode(), "true: every layer including the head.")
            .Add("batchnorm", Enum(BatchNormPolicies), "Frozen BatchNorm: eval (default: statistics and affine frozen), train_affine, or train.")
            .OneOf("layers", "regex", "first_stages", "backbone", "all"));

    private static ObjectNode Source(bool valid)
    {
        var node = new ObjectNode()
            .Add("folder", Str(), "A folder with one subfolder of images per class.")
            .Add(
                "idx",
                new ObjectNode()
                    .Add("images", Str(), "IDX images file (raw or .gz).", required: true)
                    .Add("labels", Str(), "IDX labels file (raw or .gz).", required: true)
                    .Add("classes", new ArrayNode(new NumberNode { Integer = true, Min = 0, Max = 255 }, 1), "A subset of classes: the file's label values, in order, that become the pipeline's labels (one per label, distinct); samples with other values are skipped."),
                "IDX files (MNIST format).")
            .Add(
                "csv",
                new ObjectNode()
                    .Add("path", Str(), "CSV file with columns path,label.", required: true)
                    .Add("root", Str(), "Folder the image paths are relative to (default: the CSV's folder)."),
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
        .Add("augment", new ArrayNode(Augment()), "Training-time augmentations, in order.")
        .Add("limit_per_class", Int(1), "Use at most this many training samples per class.")
        .Add("limit_seed", Int(0), "Seed of the limit_per_class draw (default: train.seed); set it to vary train.seed over the same images.");

    private static TaggedNode Augment() => new TaggedNode()
        .Add(
            "random_resized_crop",
            new ObjectNode()
                .Add("scale", new ArrayNode(Fraction(false, true), 2, 2), "[min, max] area fraction (default [0.08, 1]).")
                .Add("ratio", new ArrayNode(Positive(), 2, 2), "[min, max] aspect ratio (default [0.75, 1.3333])."),
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
                .Add("brightness", NonNegative(), "Brightness strength (default 0).")
                .Add("contrast", NonNegative(), "Contrast strength (default 0).")
                .Add("saturation", NonNegative(), "Saturation strength (default 0).")
                .Add("hue", new NumberNode { Min = 0, Max = 0.5 }, "Hue shift (default 0)."),
            true,
            "Random colour changes.");

    private static ObjectNode Train() => new ObjectNode()
        .Add("seed", Int(0), "Random seed (default 0).")
        .Add("batch", Int(1), "Batch size (default 32).")
        .Add("accumulate", Int(1), "Gradient accumulation steps (default 1).")
        .Add("epochs", Int(1), "Shorthand for one phase of this many epochs.")
        .Add("optimizer", Optimizer(), "sgd, adam or adamw, with options (default adamw).")
        .Add("loss", Loss(), "Loss (default cross_entropy).")
        .Add("clip_grad_norm", Positive(), "Clip the gradient norm to this value.")
        .Add("phases", new ArrayNode(Phase(), 1), "Training phases in order (gradual unfreezing).")
        .Add(
            "early_stopping",
            new ObjectNode()
                .Add("metric", Enum(Metrics), "Metric to watch (default valid.loss).")
                .Add("mode", Enum("min", "max"), "min or max (default: max for accuracy and F1, min for loss).")
                .Add("patience", Int(1), "Epochs without improvement before stopping (default 3).")
                .Add("min_delta", NonNegative(), "Smallest change that counts as improvement (default 0)."),
            "Stop when a metric stops improving.")
        .Add(
            "checkpoint",
            new ObjectNode()
                .Add("keep", Enum("best", "last", "all"), "Which checkpoints to keep (default best).")
                .Add("every", Int(1), "Save every N epochs."),
            "Checkpoint policy.")
        .Add("runs", Str(), "Folder for run outputs, relative to the pipeline file (default runs).")
        .OneOf("epochs", "phases");

    private static TaggedNode Optimizer()
    {
        ObjectNode Adam() => new ObjectNode()
            .Add("lr", Positive(), "Learning rate (default 0.001).")
            .Add("betas", new ArrayNode(Fraction(true, false), 2, 2), "[beta1, beta2] (default [0.9, 0.999]).")
            .Add("eps", Positive(), "Epsilon (default 1e-8).")
            .Add("weight_decay", NonNegative(), "Weight decay (default 0 for adam, 0.01 for adamw).");
        return new TaggedNode()
            .Add(
                "sgd",
                new ObjectNode()
                    .Add("lr", Positive(), "Learning rate (default 0.01).")
                    .Add("momentum", Fraction(true, false), "Momentum in [0, 1) (default 0.9).")
                    .Add("nesterov", new BoolNode(), "Nesterov momentum (default false).")
                    .Add("weight_decay", NonNegative(), "Weight decay (default 0)."),
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
                .Add("class_weights", new ArrayNode(Positive(), 1), "One weight per label, in label order."),
            true,
            "Cross-entropy on logits.");

    private static ObjectNode Phase() => new ObjectNode()
        .Add("name", Str(), "Phase name (default phase1, phase2, ...).")
        .Add("epochs", Int(1), "Epochs in this phase.", required: true)
        .Add("unfreeze", Patterns(), "Layers made trainable from this phase on (names, globs, head).")
        .Add("freeze", Patterns(), "Layers frozen from this phase on.")
        .Add("lr", new ChoiceNode(Positive(), new ObjectNode { AnyKey = Positive() }), "Learning rate, or a map pattern → learning rate (discriminative; head = the added layers).")
        .Add("schedule", Schedule(), "constant (default), step, cosine or one_cycle.");

    private static TaggedNode Schedule() => new TaggedNode()
        .Add("constant", null, true, "Constant learning rate.")
        .Add(
            "step",
            new ObjectNode()
                .Add("step_size", Int(1), "Epochs between decays.", required: true)
                .Add("gamma", new NumberNode { Min = 0, MinExclusive = true, Max = 1 }, "Decay factor (default 0.1)."),
            false,
            "Step decay.")
        .Add(
            "cosine",
            new ObjectNode()
                .Add("warmup_epochs", Int(0), "Linear warmup epochs.")
                .Add("warmup_steps", Int(0), "Linear warmup optimizer steps.")
                .Add("min_lr", NonNegative(), "Final learning rate (default 0).")
                .NotTogether("warmup_epochs", "warmup_steps"),
            true,
            "Cosine annealing with optional warmup.")
        .Add(
            "one_cycle",
            new ObjectNode()
                .Add("max_lr", Positive(), "Peak learning rate (default: the phase's lr).")
                .Add("pct_start", Fraction(false, false), "Fraction of the phase spent warming up (default 0.25)."),
            true,
            "One-cycle policy.");
}
