using System;
using System.Collections.Generic;
using System.ComponentModel.DataAnnotations;
using System.Linq;
using System.Reflection;
using Microsoft.ML.OnnxRuntime;

namespace TLDsl.Inference;

/// <summary>
/// <see cref="OnnxImageClassifier"/> with a label enum: the generated <c>&lt;Name&gt;Label</c> (or any enum whose
/// values 0..n-1 name the classes in output order, each by its <see cref="DisplayAttribute.Name"/> or else its member
/// name). Opening checks the model's labels against the enum and refuses a model trained on other classes.
/// </summary>
/// <typeparam name="TLabel">The label enum.</typeparam>
public sealed class OnnxImageClassifier<TLabel> : IDisposable
    where TLabel : struct, Enum
{
    private readonly OnnxImageClassifier _inner;
    private readonly TLabel[] _labels;

    /// <summary>Loads the model and checks its labels against <typeparamref name="TLabel"/>.</summary>
    /// <param name="modelPath">A <c>model.onnx</c> written by <c>tldsl export --format onnx</c>.</param>
    /// <param name="options">ONNX Runtime session options; null: ONNX Runtime's defaults.</param>
    /// <exception cref="OnnxModelMetadataException">The model's labels differ from the enum's (the message shows both
    /// and the first difference), or the model has no TLDsl metadata.</exception>
    public OnnxImageClassifier(string modelPath, SessionOptions? options = null)
    {
        _inner = OnnxImageClassifier.Open(modelPath, options);
        try
        {
            _labels = Match(_inner.Labels, _inner.ModelPath);
        }
        catch
        {
            _inner.Dispose();
            throw;
        }
    }

    /// <summary>The untyped classifier (metadata, logits).</summary>
    public OnnxImageClassifier Untyped => _inner;

    /// <summary>Classifies one image file.</summary>
    /// <exception cref="ImageDecodeException">The image is missing or cannot be decoded.</exception>
    public ImageClassification<TLabel> Classify(string imagePath, int topK = 5) => Classify([imagePath], topK)[0];

    /// <summary>Classifies image files.</summary>
    /// <exception cref="ImageDecodeException">An image is missing or cannot be decoded; the message names it.</exception>
    public IReadOnlyList<ImageClassification<TLabel>> Classify(IReadOnlyList<string> imagePaths, int topK = 5, int batchSize = 32)
    {
        var index = _inner.Labels.Select((name, i) => (name, i)).ToDictionary(x => x.name, x => x.i, StringComparer.Ordinal);
        return _inner.Classify(imagePaths, topK, batchSize)
            .Select(r => new ImageClassification<TLabel>(r.Image, _labels[index[r.Label]], r.Probability,
                r.Top.Select(t => new ClassProbability<TLabel>(_labels[index[t.Label]], t.Probability)).ToArray()))
            .ToArray();
    }

    /// <summary>The enum's classes in output order, checked against the model's labels.</summary>
    private static TLabel[] Match(IReadOnlyList<string> modelLabels, string path)
    {
        var type = typeof(TLabel);
        var members = type.GetFields(BindingFlags.Public | BindingFlags.Static)
            .Select(f => (Value: (TLabel)f.GetValue(null)!, Name: f.GetCustomAttribute<DisplayAttribute>()?.Name ?? f.Name))
            .OrderBy(m => Convert.ToInt64(m.Value, System.Globalization.CultureInfo.InvariantCulture))
            .ToArray();
        var names = members.Select(m => m.Name).ToArray();
        bool contiguous = members.Select((m, i) => Convert.ToInt64(m.Value, System.Globalization.CultureInfo.InvariantCulture) == i).All(b => b);
        if (!contiguous || !names.SequenceEqual(modelLabels, StringComparer.Ordinal))
        {
            int first = Enumerable.Range(0, Math.Max(names.Length, modelLabels.Count))
                .First(i => i >= names.Length || i >= modelLabels.Count || !string.Equals(names[i], modelLabels[i], StringComparison.Ordinal) || !contiguous);
            string model = first < modelLabels.Count ? $"'{modelLabels[first]}'" : "nothing";
            string mine = first < names.Length ? $"'{names[first]}'" : "nothing";
            throw new OnnxModelMetadataException(
                $"{path}: the model's {modelLabels.Count} labels [{string.Join(", ", modelLabels)}] do not match {type.FullName}'s {names.Length} [{string.Join(", ", names)}]"
                + (contiguous ? $": output {first} is {model} in the model and {mine} in the enum" : ": the enum's values must be 0, 1, 2, ... in output order")
                + ". Export the model from a run of the pipeline that defines this label type, or use the label type generated for the model's pipeline.");
        }

        return members.Select(m => m.Value).ToArray();
    }

    /// <inheritdoc/>
    public void Dispose() => _inner.Dispose();
}
