using System;
using System.IO;

namespace TLDsl.Runtime.Weights;

/// <summary>The weight file formats TLDsl reads.</summary>
public enum WeightsFormat
{
    /// <summary>A PyTorch state dict saved with <c>torch.save</c> (<c>.pth</c>, <c>.pt</c>).</summary>
    PyTorch,

    /// <summary>Hugging Face safetensors.</summary>
    Safetensors,

    /// <summary>TorchSharp's own <c>Module.save</c> format (<c>.dat</c>).</summary>
    TorchSharp,
}

/// <summary>Maps file extensions to formats.</summary>
public static class WeightsFormats
{
    /// <summary>The extensions a pipeline may name, for error messages.</summary>
    public const string Allowed = ".pth, .pt, .safetensors, .dat";

    /// <summary>The format of <paramref name="path"/> by its extension, or null when unknown.</summary>
    public static WeightsFormat? FromPath(string path) =>
        Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".pth" or ".pt" or ".bin" => WeightsFormat.PyTorch,
            ".safetensors" => WeightsFormat.Safetensors,
            ".dat" => WeightsFormat.TorchSharp,
            _ => null,
        };
}
