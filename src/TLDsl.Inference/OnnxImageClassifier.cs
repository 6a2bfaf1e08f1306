using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace TLDsl.Inference;

/// <summary>
/// Classifies images with a model written by <c>tldsl export --format onnx</c>, in ONNX Runtime, with no TorchSharp:
/// reads the labels and preprocessing from the model's metadata, decodes and preprocesses each image exactly as the
/// training run's evaluation did (<see cref="EvaluationPreprocessing"/>), and returns class names with probabilities.
/// For a typed label enum use <see cref="OnnxImageClassifier{TLabel}"/>.
/// </summary>
public sealed class OnnxImageClassifier : IDisposable
{
    private readonly InferenceSession _session;
    private readonly EvaluationPreprocessing _preprocessing;

    private OnnxImageClassifier(string path, InferenceSession session, OnnxModelInfo info)
    {
        ModelPath = path;
        _session = session;
        Info = info;
        _preprocessing = info.Preprocessing();
    }

    /// <summary>The model file.</summary>
    public string ModelPath { get; }

    /// <summary>The model's TLDsl metadata.</summary>
    public OnnxModelInfo Info { get; }

    /// <summary>Class names in output order.</summary>
    public IReadOnlyList<string> Labels => Info.Labels;

    /// <summary>Loads <paramref name="modelPath"/> into ONNX Runtime and reads its metadata.</summary>
    /// <param name="modelPath">A <c>model.onnx</c> written by <c>tldsl export --format onnx</c>.</param>
    /// <param name="options">ONNX Runtime session options (threads, providers); null: ONNX Runtime's defaults.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="OnnxModelMetadataException">The file is not a model TLDsl exported, or its metadata is malformed.</exception>
    public static OnnxImageClassifier Open(string modelPath, SessionOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        var path = Path.GetFullPath(modelPath);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"ONNX model file not found: {path}", path);
        }

        InferenceSession session;
        try
        {
            session = options is null ? new InferenceSession(path) : new InferenceSession(path, options);
        }
        catch (OnnxRuntimeException e)
        {
            throw new OnnxModelMetadataException($"{path}: ONNX Runtime cannot load the model: {e.Message}", e);
        }

        try
        {
            var info = OnnxModelInfo.Parse(session.ModelMetadata.CustomMetadataMap, path);
            if (!session.InputMetadata.ContainsKey(OnnxModelInfo.InputName) || !session.OutputMetadata.ContainsKey(OnnxModelInfo.ProbabilitiesName))
            {
                throw new OnnxModelMetadataException($"{path}: the graph must have the input '{OnnxModelInfo.InputName}' and the output '{OnnxModelInfo.ProbabilitiesName}'; it has inputs [{string.Join(", ", session.InputMetadata.Keys)}] and outputs [{string.Join(", ", session.OutputMetadata.Keys)}].");
            }

            return new OnnxImageClassifier(path, session, info);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>Classifies one image file.</summary>
    /// <exception cref="ImageDecodeException">The image is missing or cannot be decoded.</exception>
    public ImageClassification<string> Classify(string imagePath, int topK = 5) => Classify([imagePath], topK)[0];

    /// <summary>Classifies image files, <paramref name="batchSize"/> per ONNX Runtime call.</summary>
    /// <param name="imagePaths">PNG, JPEG, BMP... files.</param>
    /// <param name="topK">How many classes to list per image (clamped to [1, number of labels]).</param>
    /// <param name="batchSize">Images per call.</param>
    /// <exception cref="ImageDecodeException">An image is missing or cannot be decoded; the message names it.</exception>
    public IReadOnlyList<ImageClassification<string>> Classify(IReadOnlyList<string> imagePaths, int topK = 5, int batchSize = 32)
    {
        ArgumentNullException.ThrowIfNull(imagePaths);
        var results = new List<ImageClassification<string>>(imagePaths.Count);
        int k = Math.Clamp(topK, 1, Labels.Count);
        int step = Math.Max(1, batchSize);
        for (int start = 0; start < imagePaths.Count; start += step)
        {
            var names = imagePaths.Skip(start).Take(step).ToArray();
            var images = new PlanarImage[names.Length];
            Parallel.For(0, names.Length, i => images[i] = ImageDecoder.Decode(names[i]));
            var probabilities = Probabilities(images);
            for (int i = 0; i < names.Length; i++)
            {
                var row = probabilities.AsSpan(i * Labels.Count, Labels.Count).ToArray();
                var top = Enumerable.Range(0, row.Length)
                    .Select(c => new ClassProbability<string>(Labels[c], row[c]))
                    .OrderByDescending(p => p.Probability)
                    .Take(k)
                    .ToArray();
                results.Add(new ImageClassification<string>(names[i], top[0].Label, top[0].Probability, top));
            }
        }

        return results;
    }

    /// <summary>The softmax probabilities of decoded images, <c>[images, labels]</c> row by row.</summary>
    public float[] Probabilities(IReadOnlyList<PlanarImage> images) => Run(images, OnnxModelInfo.ProbabilitiesName);

    /// <summary>The logits of decoded images, <c>[images, labels]</c> row by row.</summary>
    public float[] Logits(IReadOnlyList<PlanarImage> images) => Run(images, OnnxModelInfo.LogitsName);

    private float[] Run(IReadOnlyList<PlanarImage> images, string output)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Count == 0)
        {
            return [];
        }

        var input = Input(images);
        using var results = _session.Run([input], [output]);
        return results[0].AsEnumerable<float>().ToArray();
    }

    /// <summary>The graph input for the images, in the layout the model was exported with.</summary>
    private NamedOnnxValue Input(IReadOnlyList<PlanarImage> images)
    {
        int c = Info.Channels, h = Info.Height, w = Info.Width, plane = h * w, size = c * plane;
        switch (Info.Layout)
        {
            case OnnxInputLayout.NormalizedNchw:
            {
                var data = new float[images.Count * size];
                Parallel.For(0, images.Count, i => _preprocessing.Apply(images[i], data.AsSpan(i * size, size)));
                return Wrap(new DenseTensor<float>(data, [images.Count, c, h, w]));
            }

            case OnnxInputLayout.UnitNchw:
            {
                var data = new float[images.Count * size];
                Parallel.For(0, images.Count, i => _preprocessing.Fit(images[i], data.AsSpan(i * size, size)));
                return Wrap(new DenseTensor<float>(data, [images.Count, c, h, w]));
            }

            case OnnxInputLayout.Uint8Nhwc:
            {
                var data = new byte[images.Count * size];
                Parallel.For(0, images.Count, i =>
                {
                    var fitted = new float[size];
                    _preprocessing.Fit(images[i], fitted);
                    // Interleave, back to bytes (the resized values are rounded; an image already at the input size is exact).
                    for (int ch = 0; ch < c; ch++)
                    {
                        for (int p = 0; p < plane; p++)
                        {
                            data[(i * size) + (p * c) + ch] = (byte)Math.Clamp(MathF.Round(fitted[(ch * plane) + p] * 255f), 0f, 255f);
                        }
                    }
                });
                return Wrap(new DenseTensor<byte>(data, [images.Count, h, w, c]));
            }

            default:
                throw new InvalidOperationException($"unknown input layout {Info.Layout}");
        }
    }

    private static NamedOnnxValue Wrap<T>(DenseTensor<T> tensor) => NamedOnnxValue.CreateFromTensor(OnnxModelInfo.InputName, tensor);

    /// <inheritdoc/>
    public void Dispose() => _session.Dispose();
}
