using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using TLDsl.Runtime.Data;
using TLDsl.Runtime.Native;
using TLDsl.Runtime.Onnx.Engine;
using TLDsl.Runtime.Onnx.Export;
using TLDsl.Runtime.Pipelines;
using TLDsl.Runtime.Reporting;
using TLDsl.Runtime.Surgery;
using TLDsl.Runtime.Training;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Prediction;

/// <summary>Which checkpoint of a run to use.</summary>
public enum CheckpointChoice
{
    /// <summary>The best by the run's monitored metric (falls back to the latest).</summary>
    Best,

    /// <summary>The latest.</summary>
    Last,
}

/// <summary>A label and its probability.</summary>
/// <param name="Label">The class name.</param>
/// <param name="Probability">Softmax probability.</param>
public sealed record LabelProbability(string Label, double Probability);

/// <summary>The model's answer for one image.</summary>
/// <param name="Image">The image file.</param>
/// <param name="Label">The most probable class.</param>
/// <param name="Probability">Its probability.</param>
/// <param name="Top">The most probable classes, best first.</param>
public sealed record ImagePrediction(string Image, string Label, double Probability, IReadOnlyList<LabelProbability> Top);

/// <summary>Metrics of a run's model on one split.</summary>
/// <param name="Split"><c>test</c> or <c>valid</c>.</param>
/// <param name="Metrics">The metrics.</param>
public sealed record RunEvaluation(string Split, ClassificationMetrics Metrics);

/// <summary>
/// A trained model loaded back from its run folder: the model is rebuilt from the run's copy of the pipeline (relative
/// paths resolve against the original pipeline file, as a resume does), then a checkpoint's weights are loaded strictly.
/// Pre-trained weights are not read again: the checkpoint holds every weight.
/// </summary>
public sealed class RunModel : IDisposable
{
    private OrtForward? _ort;

    private RunModel(RunFolder run, PipelineFile pipeline, IReadOnlyList<string> labels, TransferModel model, string checkpoint)
    {
        Run = run;
        Pipeline = pipeline;
        Labels = labels;
        Model = model;
        Checkpoint = checkpoint;
        Preprocessor = PipelineInterpreter.Preprocessor(pipeline, withAugmentation: false);
    }

    /// <summary>The run folder.</summary>
    public RunFolder Run { get; }

    /// <summary>The run's pipeline.</summary>
    public PipelineFile Pipeline { get; }

    /// <summary>Class names in label order.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>The model, in eval mode, with the checkpoint's weights.</summary>
    public TransferModel Model { get; }

    /// <summary>The checkpoint folder the weights came from.</summary>
    public string Checkpoint { get; }

    /// <summary>The pipeline's preprocessing, without augmentation.</summary>
    public ImagePreprocessor Preprocessor { get; }

    /// <summary>Opens the run in <paramref name="runPath"/> and loads a checkpoint.</summary>
    /// <exception cref="DirectoryNotFoundException">Not a run folder, or it has no checkpoint.</exception>
    /// <exception cref="PipelineException">The run's pipeline copy is invalid.</exception>
    public static RunModel Open(string runPath, CheckpointChoice checkpoint = CheckpointChoice.Best)
    {
        TorchNative.EnsureLoaded();
        var run = RunFolder.Open(runPath);
        var pipeline = ReadPipeline(run);
        string folder = (checkpoint == CheckpointChoice.Best ? Checkpoints.Best(run) : Checkpoints.Latest(run))
            ?? throw new DirectoryNotFoundException($"{run.Path}: the run has no checkpoint yet; train it first.");
        // The classes the run was trained on; only runs from before labels.txt ask the pipeline (and its data) again.
        var fromFile = run.ReadLabels();
        var labels = fromFile ?? PipelineInterpreter.Labels(pipeline);
        var plan = PipelineInterpreter.ModelPlan(pipeline, labels) with { Weights = WeightsSource.None };
        var model = TransferModelBuilder.Build(plan, pipeline.Spec.Name);
        try
        {
            try
            {
                Checkpoints.LoadModel(folder, model);
            }
            catch (Weights.WeightsLoadException e)
            {
                // The head was sized by the class list, so a line added to or removed from labels.txt shows up as a
                // shape mismatch in model.dat: name the list instead.
                if (CheckpointClasses(model, folder, labels.Count) is not { } trained)
                {
                    throw;
                }
                string source = fromFile is null ? $"the pipeline's data ({pipeline.Path})" : run.LabelsFile;
                throw new CheckpointException($"{source} lists {labels.Count} classes, but the checkpoint {folder} was trained on {trained}: a run's class list cannot change after training.", e);
            }
            model.eval();
            return new RunModel(run, pipeline, labels, model, folder);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>The class count the checkpoint's head was trained for, when it differs from <paramref name="classes"/>;
    /// null when it agrees or the head's output layer cannot be told (then the load error stands as it is).</summary>
    private static long? CheckpointClasses(TransferModel model, string checkpoint, int classes)
    {
        // The output layer: the head's last weight matrix, whose rows are the classes.
        var own = model.state_dict();
        string? key = own
            .Where(kv => kv.Key.StartsWith("head.", StringComparison.Ordinal) && kv.Key.EndsWith(".weight", StringComparison.Ordinal)
                && kv.Value.shape.Length == 2)
            .Select(kv => kv.Key)
            .LastOrDefault();
        if (key is null || own[key].shape[0] != classes)
        {
            return null;
        }
        Dictionary<string, Tensor> state;
        try
        {
            state = Checkpoints.ReadWeights(checkpoint);
        }
        catch (Exception e) when (e is Weights.WeightsLoadException or CheckpointException)
        {
            return null;
        }
        try
        {
            return state.TryGetValue(key, out var trained) && trained.shape.Length == 2 && trained.shape[0] != classes
                ? trained.shape[0]
                : null;
        }
        finally
        {
            Weights.ReadBuffers.Release(state);
        }
    }

    /// <summary>Classifies image files: eval mode, no gradients, the pipeline's preprocessing without augmentation.</summary>
    /// <param name="imagePaths">Image files (PNG, JPEG, BMP...).</param>
    /// <param name="topK">How many classes to list per image (at least 1, at most the number of labels).</param>
    /// <param name="batchSize">Images per forward pass.</param>
    /// <exception cref="DataException">An image is missing or cannot be decoded; the message names it.</exception>
    public IReadOnlyList<ImagePrediction> Predict(IReadOnlyList<string> imagePaths, int topK = 5, int batchSize = 32) =>
        Predict(imagePaths, topK, batchSize, InferenceEngine.Torch);

    /// <summary>Classifies image files with <paramref name="engine"/>: TorchSharp, or ONNX Runtime on the model exported
    /// to ONNX (cached in the run folder, keyed by the weights), with the same preprocessing. <c>auto</c> is ONNX
    /// Runtime (the faster on measurement), or TorchSharp when the model cannot be exported; <see cref="EngineUsed"/>
    /// says which ran.</summary>
    /// <exception cref="DataException">An image is missing or cannot be decoded; the message names it.</exception>
    /// <exception cref="OnnxExportException">With <c>ort</c>: the model cannot be exported or loaded.</exception>
    public IReadOnlyList<ImagePrediction> Predict(IReadOnlyList<string> imagePaths, int topK, int batchSize, InferenceEngine engine)
    {
        ArgumentNullException.ThrowIfNull(imagePaths);
        var forward = Forward(engine);
        int k = Math.Clamp(topK, 1, Labels.Count);
        var source = new FileListSource(imagePaths, Labels);
        var results = new List<ImagePrediction>(imagePaths.Count);
        Model.eval();
        using var noGrad = no_grad();
        for (int start = 0; start < imagePaths.Count; start += Math.Max(1, batchSize))
        {
            using var scope = NewDisposeScope();
            int count = Math.Min(Math.Max(1, batchSize), imagePaths.Count - start);
            int[] indices = Enumerable.Range(start, count).ToArray();
            var x = Preprocessor.Batch(source, indices, train: false, Pipeline.Spec.Train.Seed, epoch: 0);
            var probabilities = (Preprocessor.TestViews.Count > 0
                ? TestTimeAugmentation.Probabilities(forward, x, Preprocessor.TestViews)
                : nn.functional.softmax(forward(x), 1)).contiguous();
            float[] flat = probabilities.data<float>().ToArray();
            int classes = Labels.Count;
            for (int i = 0; i < count; i++)
            {
                var top = Enumerable.Range(0, classes)
                    .Select(c => new LabelProbability(Labels[c], flat[(i * classes) + c]))
                    .OrderByDescending(p => p.Probability)
                    .Take(k)
                    .ToArray();
                results.Add(new ImagePrediction(imagePaths[start + i], top[0].Label, top[0].Probability, top));
            }
        }
        return results;
    }

    /// <summary>The engine the last <see cref="Predict(IReadOnlyList{string}, int, int, InferenceEngine)"/> ran on
    /// (<c>ort</c> or <c>torch</c>), or null before one.</summary>
    public InferenceEngine? EngineUsed { get; private set; }

    /// <summary>Logits of a normalised batch by <paramref name="engine"/>; ONNX Runtime's session is opened once.</summary>
    private Func<Tensor, Tensor> Forward(InferenceEngine engine)
    {
        var resolved = InferenceEngines.Resolve(engine);
        switch (resolved)
        {
            case InferenceEngine.Torch:
                EngineUsed = InferenceEngine.Torch;
                return Model.call;
            case InferenceEngine.Ort:
                try
                {
                    _ort ??= OrtForward.OpenFile(RunOnnxModel.Path(this), TLDsl.Inference.OnnxModelInfo.InputName, TLDsl.Inference.OnnxModelInfo.LogitsName, Math.Max(1, get_num_threads()));
                }
                catch (OnnxExportException) when (engine == InferenceEngine.Auto)
                {
                    EngineUsed = InferenceEngine.Torch;
                    return Model.call;
                }
                EngineUsed = InferenceEngine.Ort;
                return _ort.Run;
            default:
                throw new InvalidOperationException($"unknown inference engine {resolved}");
        }
    }

    /// <summary>Evaluates the model on the pipeline's test source, or on its validation split when it has none.</summary>
    public RunEvaluation Evaluate()
    {
        var labels = Labels;
        var data = PipelineInterpreter.DataPlan(Pipeline, labels);
        var plan = PipelineInterpreter.TrainingPlan(Pipeline.Spec);
        if (data.Test is { } test && data.TestIndices.Length > 0)
        {
            return new RunEvaluation("test", Evaluator.Evaluate(Model, test, data.TestIndices, Preprocessor, plan.BatchSize, plan.Seed));
        }
        if (data.ValidIndices.Length == 0)
        {
            throw new DataException($"{Pipeline.Path}: the pipeline has neither a test source nor validation data to evaluate on.");
        }
        return new RunEvaluation("valid", Evaluator.Evaluate(Model, data.Valid, data.ValidIndices, Preprocessor, plan.BatchSize, plan.Seed));
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _ort?.Dispose();
        Model.Dispose();
    }

    internal static PipelineFile ReadPipeline(RunFolder run)
    {
        string copy = Path.Combine(run.Path, "pipeline.tl.yaml");
        string source = Path.Combine(run.Path, "source.txt");
        if (!File.Exists(copy) || !File.Exists(source))
        {
            throw new DirectoryNotFoundException($"{run.Path}: the run folder has no pipeline.tl.yaml/source.txt.");
        }
        string original = File.ReadLines(source).First();
        return PipelineFile.Parse(File.ReadAllText(copy), original);
    }

    /// <summary>Image files as an <see cref="IImageSource"/> (every label 0: prediction needs none).</summary>
    private sealed class FileListSource(IReadOnlyList<string> paths, IReadOnlyList<string> labels) : IImageSource
    {
        public int Count => paths.Count;

        public IReadOnlyList<string> Labels => labels;

        public int LabelOf(int index) => 0;

        public string NameOf(int index) => paths[index];

        public DecodedImage Decode(int index) => ImageDecoder.Decode(paths[index]);
    }
}
