using System.Collections.Generic;
using System.Linq;

namespace TLDsl.Spec.Diagnostics;

/// <summary>
/// The one catalogue of pipeline diagnostics. Ids are stable and never reused; each has an entry
/// (a heading with the id as anchor) in <c>docs/diagnostics.md</c>, which a test enforces.
/// </summary>
public static class DiagnosticDescriptors
{
    private const SpecDiagnosticSeverity Error = SpecDiagnosticSeverity.Error;
    private const SpecDiagnosticSeverity Warning = SpecDiagnosticSeverity.Warning;
    private const SpecDiagnosticSeverity Info = SpecDiagnosticSeverity.Info;

    /// <summary>TLD0001: the text is not valid YAML.</summary>
    public static readonly SpecDiagnosticDescriptor YamlSyntax = new(
        "TLD0001", "YAML syntax error", "YAML syntax error: {0}", Error);

    /// <summary>TLD0002: the file is larger than the reader accepts (only the limit and one more character are read).</summary>
    public static readonly SpecDiagnosticDescriptor FileTooLarge = new(
        "TLD0002", "File too large", "The pipeline file has more than {0} characters, the limit; pipeline files are a few kilobytes", Error);

    /// <summary>TLD0003: the document has more nodes than the reader accepts, counting what aliases expand to (an "alias bomb").</summary>
    public static readonly SpecDiagnosticDescriptor AliasExpansionLimit = new(
        "TLD0003", "Too many nodes", "The document has more than {0} nodes{1}; pipelines have a few hundred", Error);

    /// <summary>TLD0004: a key that the language does not know.</summary>
    public static readonly SpecDiagnosticDescriptor UnknownKey = new(
        "TLD0004", "Unknown key", "Unknown key '{0}' in {1}.{2}", Error);

    /// <summary>TLD0005: the same key twice in one mapping.</summary>
    public static readonly SpecDiagnosticDescriptor DuplicateKey = new(
        "TLD0005", "Duplicate key", "Duplicate key '{0}' in {1}; the first one ({2}) is used", Error);

    /// <summary>TLD0006: a required key is absent.</summary>
    public static readonly SpecDiagnosticDescriptor MissingKey = new(
        "TLD0006", "Missing required key", "{0} is missing the required key {1}", Error);

    /// <summary>TLD0007: a value of the wrong kind (string for number, list for mapping...).</summary>
    public static readonly SpecDiagnosticDescriptor WrongType = new(
        "TLD0007", "Wrong value type", "{0} must be {1}, but is {2}", Error);

    /// <summary>TLD0008: a number outside its allowed range.</summary>
    public static readonly SpecDiagnosticDescriptor OutOfRange = new(
        "TLD0008", "Value out of range", "{0} must be {1}, but is {2}", Error);

    /// <summary>TLD0009: a word that is not one of the allowed values.</summary>
    public static readonly SpecDiagnosticDescriptor NotAllowed = new(
        "TLD0009", "Value not allowed", "{0} must be one of {1}, but is '{2}'.{3}", Error);

    /// <summary>TLD0010: a version this library cannot read.</summary>
    public static readonly SpecDiagnosticDescriptor UnsupportedVersion = new(
        "TLD0010", "Unsupported version", "Pipeline version {0} is not supported; this TLDsl reads versions {1} to {2}", Error);

    /// <summary>TLD0011: keys that exclude each other appear together.</summary>
    public static readonly SpecDiagnosticDescriptor ConflictingKeys = new(
        "TLD0011", "Conflicting keys", "{0} may contain only one of {1}, but has {2}", Error);

    /// <summary>TLD0012: an explicit YAML tag (tags could name types; pipeline files are plain data).</summary>
    public static readonly SpecDiagnosticDescriptor TagNotAllowed = new(
        "TLD0012", "YAML tag not allowed", "YAML tag '{0}' is not allowed; pipeline files hold plain data only", Error);

    /// <summary>TLD0013: nesting deeper than the reader accepts.</summary>
    public static readonly SpecDiagnosticDescriptor NestingTooDeep = new(
        "TLD0013", "Nesting too deep", "Nesting deeper than {0} levels is not allowed", Error);

    /// <summary>TLD0014: a label that maps to no C# identifier.</summary>
    public static readonly SpecDiagnosticDescriptor InvalidLabel = new(
        "TLD0014", "Invalid label", "Label '{0}' does not map to a C# identifier: it needs at least one letter or digit", Error);

    /// <summary>TLD0015: two labels that map to the same C# identifier.</summary>
    public static readonly SpecDiagnosticDescriptor DuplicateLabel = new(
        "TLD0015", "Duplicate label", "Labels '{0}' and '{1}' both map to the C# identifier '{2}'", Error);

    /// <summary>TLD0016: a base model the catalogue does not hold.</summary>
    public static readonly SpecDiagnosticDescriptor UnknownModel = new(
        "TLD0016", "Unknown base model", "Unknown base model '{0}'.{1} Nearest known models: {2}", Error);

    /// <summary>TLD0017: named weights the model does not have.</summary>
    public static readonly SpecDiagnosticDescriptor UnknownWeights = new(
        "TLD0017", "Unknown weights", "Model '{0}' has no weights named '{1}' (named weights: {2}); use named weights or a weights file (.pth, .pt, .safetensors, .dat)", Error);

    /// <summary>TLD0018: a layer pattern that selects nothing.</summary>
    public static readonly SpecDiagnosticDescriptor PatternMatchesNothing = new(
        "TLD0018", "Layer pattern matches nothing", "{0} '{1}' matches no layer of '{2}'. Nearest names: {3}", Error);

    /// <summary>TLD0019: a head layer declares input features that differ from what it receives.</summary>
    public static readonly SpecDiagnosticDescriptor HeadInputMismatch = new(
        "TLD0019", "Head input size mismatch", "{0} declares {1} input features, but receives {2}", Error);

    /// <summary>TLD0020: a head layer cannot take the shape of its input.</summary>
    public static readonly SpecDiagnosticDescriptor HeadLayerDoesNotFit = new(
        "TLD0020", "Head layer does not fit its input", "{0} ({1}) needs {2}, but receives {3}; {4}", Error);

    /// <summary>TLD0021: a drop or cut that is not possible.</summary>
    public static readonly SpecDiagnosticDescriptor InvalidDrop = new(
        "TLD0021", "Invalid drop or cut", "{0} '{1}' is not possible: {2}", Error);

    /// <summary>TLD0022: dropping a layer the model does not have (e.g. fc of a headless model).</summary>
    public static readonly SpecDiagnosticDescriptor DropNoOp = new(
        "TLD0022", "Drop does nothing", "Model '{0}' has no layer '{1}'; dropping it does nothing", Warning);

    /// <summary>TLD0023: unfreezing layers that are already trainable.</summary>
    public static readonly SpecDiagnosticDescriptor AlreadyTrainable = new(
        "TLD0023", "Layers already trainable", "{0} '{1}': every layer it matches is already trainable", Warning);

    /// <summary>TLD0024: a phase in which nothing can learn.</summary>
    public static readonly SpecDiagnosticDescriptor NothingTrainable = new(
        "TLD0024", "Nothing trainable", "{0} leaves no trainable layer", Error);

    /// <summary>TLD0025: ONNX layer names cannot be checked at build time without a listing.</summary>
    public static readonly SpecDiagnosticDescriptor OnnxNotChecked = new(
        "TLD0025", "ONNX layers checked at run time", "Layer names of ONNX model '{0}' are checked at run time; add base.layers (a layer listing file) to check them at build time", Info);

    /// <summary>TLD0026: a string that does not have the required form.</summary>
    public static readonly SpecDiagnosticDescriptor InvalidFormat = new(
        "TLD0026", "Invalid format", "{0} must be {1}, but is '{2}'", Error);

    /// <summary>TLD0027: class weights that do not match the labels.</summary>
    public static readonly SpecDiagnosticDescriptor ClassWeightsCount = new(
        "TLD0027", "Class weights count", "{0} has {1} values, but there are {2} labels", Error);

    /// <summary>TLD0028: <c>normalize: weights</c> without named weights.</summary>
    public static readonly SpecDiagnosticDescriptor NormalizeNeedsNamedWeights = new(
        "TLD0028", "Normalisation needs named weights", "{0} 'weights' needs named weights, but base.weights is '{1}'; name the statistics ({2}) or give mean and std", Error);

    /// <summary>TLD0029: normalisation statistics with the wrong number of channels.</summary>
    public static readonly SpecDiagnosticDescriptor NormalizeChannels = new(
        "TLD0029", "Normalisation channel count", "{0} has {1} values, but the model takes {2} channels", Error);

    /// <summary>TLD0030: an ONNX layer listing that is missing or malformed.</summary>
    public static readonly SpecDiagnosticDescriptor LayerListingUnreadable = new(
        "TLD0030", "Layer listing unreadable", "Layer listing '{0}' cannot be used: {1}", Error);

    /// <summary>TLD0031: a validation metric without validation data.</summary>
    public static readonly SpecDiagnosticDescriptor MetricNeedsValidation = new(
        "TLD0031", "Metric needs validation data", "{0} '{1}' needs validation data; add data.valid (a source or a split)", Error);

    /// <summary>TLD0032: a bug in the reader, reported instead of thrown.</summary>
    public static readonly SpecDiagnosticDescriptor InternalError = new(
        "TLD0032", "Internal error", "Internal error while reading the pipeline: {0}; please report it", Error);

    /// <summary>TLD0033: more than one YAML document in one file.</summary>
    public static readonly SpecDiagnosticDescriptor MultipleDocuments = new(
        "TLD0033", "Multiple documents", "A pipeline file holds one YAML document, but this one has more", Error);

    /// <summary>TLD0034: the model's output count differs from the label count.</summary>
    public static readonly SpecDiagnosticDescriptor OutputLabelMismatch = new(
        "TLD0034", "Output does not match labels", "The model outputs {0} values per image, but there are {1} labels; end the head with 'linear: labels'", Error);

    /// <summary>TLD0035: a weights file with an extension no loader reads.</summary>
    public static readonly SpecDiagnosticDescriptor WeightsFileExtension = new(
        "TLD0035", "Unsupported weights file", "Weights file '{0}' has an unsupported extension; use .pth, .pt, .safetensors or .dat", Error);

    /// <summary>TLD0036: two head attributes with the same order.</summary>
    public static readonly SpecDiagnosticDescriptor DuplicateHeadOrder = new(
        "TLD0036", "Duplicate head order", "Head layer order {0} is used by more than one attribute", Error);

    /// <summary>TLD0037: an attribute argument the attribute does not have.</summary>
    public static readonly SpecDiagnosticDescriptor UnknownAttributeArgument = new(
        "TLD0037", "Unknown attribute argument", "[{0}] has no argument '{1}'.{2}", Error);

    /// <summary>TLD0038: an older pipeline version was upgraded while reading.</summary>
    public static readonly SpecDiagnosticDescriptor VersionUpgraded = new(
        "TLD0038", "Version upgraded", "Pipeline version {0} was read by upgrading it to version {1}; update the file to version {1}", Info);

    /// <summary>TLD0039: a key that only makes sense with another one.</summary>
    public static readonly SpecDiagnosticDescriptor RequiresOtherKey = new(
        "TLD0039", "Key needs another key", "{0} is only allowed {1}", Error);

    /// <summary>TLD0040: a class subset of a data source (<c>idx.classes</c>) that does not map onto the labels.</summary>
    public static readonly SpecDiagnosticDescriptor ClassSubset = new(
        "TLD0040", "Class subset does not fit the labels", "{0} {1}; list one distinct label value of the file per pipeline label ({2})", Error);

    /// <summary>TLD0041: a weights file or ONNX base that the build does not know (checked by the generator only, against the
    /// build's AdditionalFiles).</summary>
    public static readonly SpecDiagnosticDescriptor ModelFileNotFound = new(
        "TLD0041", "Model file not found",
        "{0} '{1}' was not found: no file {2} is part of the build. The project's .pth, .pt, .safetensors, .dat and .onnx files are (outside bin, obj and runs); add another with <AdditionalFiles Include=\"...\" TLDslKind=\"model\" />, or set <TLDslCheckModelFiles>false</TLDslCheckModelFiles> if it arrives after the build", Error);

    /// <summary>TLD0042: two pipelines of one project with the same name (their types and run folders would collide).</summary>
    public static readonly SpecDiagnosticDescriptor DuplicatePipelineName = new(
        "TLD0042", "Duplicate pipeline name",
        "The pipeline name '{0}' is already used by {1}; each pipeline of a project needs its own name (its types and runs folder are named after it), so no code is generated for this one", Error);

    /// <summary>Every descriptor, in id order.</summary>
    public static IReadOnlyList<SpecDiagnosticDescriptor> All { get; } = typeof(DiagnosticDescriptors)
        .GetFields()
        .Where(f => f.FieldType == typeof(SpecDiagnosticDescriptor))
        .Select(f => (SpecDiagnosticDescriptor)f.GetValue(null)!)
        .OrderBy(d => d.Id, System.StringComparer.Ordinal)
        .ToArray();
}
