using System;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using TLDsl.Spec.Catalogue;
using TLDsl.Spec.Diagnostics;
using TLDsl.Spec.Model;

namespace TLDsl.Generator;

/// <summary>
/// A value-equatable position (file, span, line span): the location token handed to TLDsl.Spec and carried in cached
/// models instead of a <see cref="Location"/>, so the pipeline stays cacheable.
/// </summary>
internal sealed record LocationInfo(string FilePath, TextSpan Span, LinePositionSpan LineSpan)
{
    public Location ToLocation() => Location.Create(FilePath, Span, LineSpan);

    public static LocationInfo? From(Location? location)
    {
        if (location is null || location.SourceTree is null)
        {
            return null;
        }
        return new LocationInfo(location.SourceTree.FilePath, location.SourceSpan, location.GetLineSpan().Span);
    }

    public static LocationInfo From(SourceSpan span) => new(
        span.FilePath,
        new TextSpan(span.Offset, span.Length),
        new LinePositionSpan(
            new LinePosition(span.StartLine - 1, span.StartColumn - 1),
            new LinePosition(Math.Max(span.EndLine, span.StartLine) - 1, Math.Max(span.EndColumn - 1, 0))));
}

/// <summary>A diagnostic ready to report: no compiler objects, only values.</summary>
internal sealed record DiagnosticInfo(string Id, SpecDiagnosticSeverity Severity, string Message, LocationInfo? Location);

/// <summary>One step of the backbone's forward pass: a kept child (with its field type), or a global pool / flatten between children.</summary>
internal sealed record StepModel(string Name, LayoutStepKind Kind, string FieldType);

/// <summary>One added head layer: its index (state-dict key <c>head.N</c>), TorchSharp type and a short description.</summary>
internal sealed record HeadModel(int Index, string FieldType, string FieldName, string Description);

/// <summary>A layer of an imported ONNX graph that holds a module: its name (the state-dict prefix) and TorchSharp type.</summary>
internal sealed record GraphLayerModel(string Name, string FieldType);

/// <summary>What the generator knows of an ONNX base model's layers.</summary>
internal enum GraphLayout
{
    /// <summary>A catalogue model (no graph).</summary>
    None,

    /// <summary>An ONNX model with a layer listing: its kept layers become typed fields.</summary>
    Listed,

    /// <summary>An ONNX model without a listing: its layers are registered at run time, untyped.</summary>
    Unlisted,
}

/// <summary>A label: its text as written and its C# identifier.</summary>
internal sealed record LabelModel(string Name, string Identifier);

/// <summary>Everything emission needs for one valid pipeline; value-equatable.</summary>
internal sealed record PipelineModel(
    string Namespace,
    string Name,
    string? AttributeClass,
    string SourcePath,
    string BaseModel,
    bool LabelsFromData,
    string? UserLabelEnum,
    string Accessibility,
    EquatableArray<LabelModel> Labels,
    EquatableArray<StepModel> Steps,
    EquatableArray<HeadModel> Head,
    GraphLayout Graph,
    EquatableArray<GraphLayerModel> GraphLayers,
    int Seed,
    int Batch,
    double LearningRate,
    EquatableArray<int> PhaseEpochs,
    string Runs);

/// <summary>The pipeline's identity: text and hash. Kept apart from <see cref="PipelineModel"/> so that a comment edit
/// re-emits only the identity file, not the typed model, labels and trainer.</summary>
internal sealed record IdentityModel(
    string Namespace,
    string Name,
    string? AttributeClass,
    string Text,
    string Hash,
    string SourcePath,
    string BaseModel,
    string? Weights,
    string? WeightsSha256);

/// <summary>A pipeline after reading: the spec (null on errors), its diagnostics and where it came from. No compiler objects.
/// <c>Accessibility</c> is that of the trainer types (<c>internal</c> when the attribute class or its label enum is not
/// public); <c>LayersText</c> is the ONNX layer listing the spec read, if any. <c>FilePath</c> is the file as the compiler
/// names it; <c>NameLocation</c> the attribute argument that names an attribute pipeline (a YAML <c>name</c> key is found
/// only when needed).</summary>
internal sealed record ParsedPipeline(
    string Namespace,
    string? AttributeClass,
    string Text,
    string SourcePath,
    string? UserLabelEnum,
    string Accessibility,
    string? LayersText,
    PipelineSpec? Spec,
    EquatableArray<DiagnosticInfo> Diagnostics,
    string FilePath,
    LocationInfo? NameLocation);

