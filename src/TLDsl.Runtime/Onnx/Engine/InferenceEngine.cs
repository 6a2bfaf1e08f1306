using System;

namespace TLDsl.Runtime.Onnx.Engine;

/// <summary>Which library computes a forward pass that needs no gradient: the frozen feature cache and prediction.</summary>
public enum InferenceEngine
{
    /// <summary>Chosen by <see cref="InferenceEngines.Resolve"/> from measured rates (bench case <c>engines</c>).</summary>
    Auto,

    /// <summary>ONNX Runtime, on the module exported to ONNX on the fly.</summary>
    Ort,

    /// <summary>TorchSharp (libtorch).</summary>
    Torch,
}

/// <summary>Names, parsing and the automatic choice of <see cref="InferenceEngine"/>.</summary>
public static class InferenceEngines
{
    /// <summary>The words accepted on the command line, in order.</summary>
    public const string Allowed = "auto, ort, torch";

    /// <summary>The engine's word (<c>auto</c>, <c>ort</c>, <c>torch</c>).</summary>
    public static string Name(InferenceEngine engine) => engine switch
    {
        InferenceEngine.Auto => "auto",
        InferenceEngine.Ort => "ort",
        InferenceEngine.Torch => "torch",
        _ => throw new ArgumentOutOfRangeException(nameof(engine), engine, "unknown inference engine"),
    };

    /// <summary>The engine a word names, or null when it names none (the caller reports <see cref="Allowed"/>).</summary>
    public static InferenceEngine? TryParse(string? word) => word?.Trim().ToLowerInvariant() switch
    {
        "auto" => InferenceEngine.Auto,
        "ort" or "onnxruntime" => InferenceEngine.Ort,
        "torch" or "torchsharp" => InferenceEngine.Torch,
        _ => null,
    };

    /// <summary>
    /// The engine <paramref name="requested"/> means. <c>auto</c> is ONNX Runtime: on this project's measurements
    /// (bench case <c>engines</c>, resnet18_imagenet at 112² and 224², batch 1 and 32, 2 threads, results in
    /// bench/results) ONNX Runtime's forward was faster than libtorch's CPU forward in every case, so nothing here
    /// depends on the shape. The runtime has no GPU path; a module ONNX cannot hold makes <c>auto</c> fall back to
    /// torch where it is used.
    /// </summary>
    public static InferenceEngine Resolve(InferenceEngine requested) => requested switch
    {
        InferenceEngine.Auto => InferenceEngine.Ort,
        InferenceEngine.Ort or InferenceEngine.Torch => requested,
        _ => throw new ArgumentOutOfRangeException(nameof(requested), requested, "unknown inference engine"),
    };
}
