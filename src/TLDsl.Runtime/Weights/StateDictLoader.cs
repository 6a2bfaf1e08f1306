using System;
using System.Collections.Generic;
using System.Linq;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TLDsl.Runtime.Weights;

/// <summary>What a strict load compared.</summary>
/// <param name="Loaded">Keys copied into the module.</param>
/// <param name="Missing">Module keys the file lacks.</param>
/// <param name="Unexpected">File keys the module lacks (and that were not skipped).</param>
/// <param name="ShapeMismatches">Keys present in both with different shapes: "key: file [..] vs model [..]".</param>
/// <param name="Skipped">File keys deliberately ignored (for example a dropped classifier).</param>
public sealed record LoadReport(
    IReadOnlyList<string> Loaded,
    IReadOnlyList<string> Missing,
    IReadOnlyList<string> Unexpected,
    IReadOnlyList<string> ShapeMismatches,
    IReadOnlyList<string> Skipped)
{
    /// <summary>True when every module key was loaded and nothing else was in the file.</summary>
    public bool IsExact => Missing.Count == 0 && Unexpected.Count == 0 && ShapeMismatches.Count == 0;
}

/// <summary>Copies a state dict into a module strictly: everything is checked first, then everything is copied, so a
/// bad file never leaves a half-loaded model. Unlike TorchSharp.PyBridge's loader it never fills a smaller tensor into a
/// larger one, and it keeps each parameter's <c>requires_grad</c>.</summary>
public static class StateDictLoader
{
    /// <summary>Loads <paramref name="source"/> into <paramref name="module"/>.</summary>
    /// <param name="module">The target; untouched when the load fails.</param>
    /// <param name="source">Name to tensor, e.g. from <see cref="StateDictFile.Read"/>.</param>
    /// <param name="sourceName">The file name, for messages.</param>
    /// <param name="skip">Source keys to ignore: true for keys of layers the pipeline drops.</param>
    /// <param name="allowMissing">Module keys that may be absent (e.g. BatchNorm's num_batches_tracked).</param>
    /// <param name="strict">When true, any missing, unexpected or mismatched key fails the load.</param>
    /// <exception cref="WeightsLoadException">A strict load found differences; the message lists them by key.</exception>
    public static LoadReport Load(Module module, IReadOnlyDictionary<string, Tensor> source, string sourceName,
        Func<string, bool>? skip = null, Func<string, bool>? allowMissing = null, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(source);
        skip ??= _ => false;
        allowMissing ??= key => key.EndsWith(".num_batches_tracked", StringComparison.Ordinal);
        var target = module.state_dict();

        var loaded = new List<string>();
        var missing = new List<string>();
        var mismatched = new List<string>();
        var skipped = source.Keys.Where(k => skip(k)).Order(StringComparer.Ordinal).ToList();
        var unexpected = source.Keys.Where(k => !skip(k) && !target.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();

        foreach (var (key, tensor) in target)
        {
            if (!source.TryGetValue(key, out var value) || skip(key))
            {
                if (!allowMissing(key))
                {
                    missing.Add(key);
                }
                continue;
            }
            if (!value.shape.SequenceEqual(tensor.shape))
            {
                mismatched.Add($"{key}: file {Shape(value.shape)} vs model {Shape(tensor.shape)}");
                continue;
            }
            if (value.dtype != tensor.dtype && !(IsFloating(value.dtype) && IsFloating(tensor.dtype)))
            {
                mismatched.Add($"{key}: file dtype {value.dtype} vs model {tensor.dtype}");
                continue;
            }
            loaded.Add(key);
        }

        var report = new LoadReport(loaded, missing, unexpected, mismatched, skipped);
        if (strict && !report.IsExact)
        {
            throw new WeightsLoadException(Describe(sourceName, report));
        }

        using (no_grad())
        {
            foreach (var key in loaded)
            {
                // copy_ keeps the destination's dtype, storage and requires_grad flag.
                target[key].copy_(source[key]);
            }
        }
        return report;
    }

    /// <summary>A message listing every difference, by key.</summary>
    public static string Describe(string sourceName, LoadReport report)
    {
        var parts = new List<string>();
        if (report.ShapeMismatches.Count > 0)
        {
            parts.Add($"shape mismatch: {string.Join("; ", report.ShapeMismatches.Take(10))}{More(report.ShapeMismatches)}");
        }
        if (report.Missing.Count > 0)
        {
            parts.Add($"missing from the file: {string.Join(", ", report.Missing.Take(10))}{More(report.Missing)}");
        }
        if (report.Unexpected.Count > 0)
        {
            parts.Add($"not in the model: {string.Join(", ", report.Unexpected.Take(10))}{More(report.Unexpected)}");
        }
        return $"{sourceName}: the weights do not fit the model, nothing was loaded. {string.Join(". ", parts)}.";
    }

    private static string More(IReadOnlyList<string> list) => list.Count > 10 ? $" (and {list.Count - 10} more)" : "";

    private static string Shape(long[] shape) => "[" + string.Join(", ", shape) + "]";

    private static bool IsFloating(TorchSharp.torch.ScalarType t) =>
        t is ScalarType.Float32 or ScalarType.Float64 or ScalarType.Float16 or ScalarType.BFloat16;
}
