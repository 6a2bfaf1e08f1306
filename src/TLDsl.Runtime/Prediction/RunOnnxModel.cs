using System;
using System.IO;
using System.Security.Cryptography;
using System.Text;
using TLDsl.Inference;
using TLDsl.Runtime.Onnx.Export;

namespace TLDsl.Runtime.Prediction;

/// <summary>
/// A run's model exported to ONNX for <c>tldsl predict --engine ort</c>, kept in the run folder under <c>onnx/</c> and
/// named by a SHA-256 of what it holds (the loaded weights, the labels, the TLDsl version), so that another checkpoint
/// or a changed model gets its own file and an unchanged one is exported once. Written atomically.
/// </summary>
internal static class RunOnnxModel
{
    /// <summary>The folder of the exported files inside a run folder.</summary>
    public const string Folder = "onnx";

    /// <summary>The exported file of <paramref name="run"/>'s model, written when it is not there yet.</summary>
    /// <exception cref="OnnxExportException">A module cannot be exported, or the file cannot be written.</exception>
    public static string Path(RunModel run)
    {
        string file = System.IO.Path.Combine(run.Run.Path, Folder, $"model-{Key(run)}.onnx");
        if (!File.Exists(file))
        {
            OnnxExporter.Write(OnnxExporter.Build(run.Model, RunExporter.OnnxInfo(run, OnnxInputLayout.NormalizedNchw)), file);
        }
        return file;
    }

    /// <summary>The first 16 hex digits of a SHA-256 over every weight and buffer (name, shape, bytes), the labels and
    /// the exporter's version.</summary>
    private static string Key(RunModel run)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Add(string text) => sha.AppendData(Encoding.UTF8.GetBytes(text + "\n"));
        Add(OnnxExporter.Version);
        Add(string.Join("\n", run.Labels));
        using var scope = TorchSharp.torch.NewDisposeScope();
        foreach (var (name, tensor) in run.Model.state_dict())
        {
            Add($"{name} {tensor.dtype} [{string.Join(",", tensor.shape)}]");
            sha.AppendData(tensor.contiguous().bytes);
        }
        return Convert.ToHexString(sha.GetHashAndReset())[..16].ToLowerInvariant();
    }
}
