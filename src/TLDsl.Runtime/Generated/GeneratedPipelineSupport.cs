using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Assembly = System.Reflection.Assembly;
using System.Runtime.CompilerServices;
using TLDsl.Runtime.Data;
using TLDsl.Runtime.Models;
using TLDsl.Runtime.Native;
using TLDsl.Runtime.Onnx.Import;
using TLDsl.Runtime.Pipelines;
using TLDsl.Runtime.Reporting;
using TLDsl.Runtime.Surgery;
using TLDsl.Runtime.Training;
using TLDsl.Spec.Parsing;
using TLDsl.Spec.Text;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TLDsl.Runtime.Generated;

/// <summary>
/// The runtime entry points that code emitted by the TLDsl source generator calls. Generated types stay thin: they
/// embed the pipeline text and ask this class to build, train, evaluate and predict with the runtime's own logic.
/// </summary>
public static class GeneratedPipelineSupport
{
    private static readonly ConditionalWeakTable<object, TransferModel> Sources = new();

    /// <summary>Parses embedded YAML pipeline text (as compiled into the assembly); throws <see cref="PipelineException"/> on errors.</summary>
    /// <param name="text">The pipeline's YAML text.</param>
    /// <param name="path">The path relative data and weights paths resolve against.</param>
    public static PipelineFile Parse(string text, string path) => PipelineFile.Parse(text, Path.GetFullPath(path));

    /// <summary>Parses embedded YAML pipeline text; a relative <paramref name="path"/> is anchored as
    /// <see cref="PipelineAnchor"/> says (the project folder <paramref name="assembly"/> was built from while it holds
    /// this pipeline, else the application's folder), never at the current directory.</summary>
    /// <param name="text">The pipeline's YAML text.</param>
    /// <param name="path">The pipeline's path (relative to the project, or absolute).</param>
    /// <param name="assembly">The assembly the pipeline is compiled into.</param>
    public static PipelineFile Parse(string text, string path, Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(assembly);
        return PipelineFile.Parse(text, PipelineAnchor.Anchor(path, assembly, text));
    }

    /// <summary>The pipeline identity of <paramref name="text"/> (<see cref="PipelineHash.Of"/>): the hash the generator
    /// compiles in and <see cref="PipelineFile.Hash"/> gives.</summary>
    public static string Sha256(string text) => PipelineHash.Of(text);

    /// <summary>
    /// Builds the runtime's <see cref="TransferModel"/> for a pipeline (surgery, head, freeze rules), with or without the
    /// pre-trained weights, and ties its lifetime to <paramref name="owner"/> (the generated model that takes its children).
    /// </summary>
    /// <param name="owner">The object that keeps the built model alive.</param>
    /// <param name="pipeline">The pipeline.</param>
    /// <param name="labels">The label names; null takes them from the pipeline (reading the data for <c>labels: from_data</c>).</param>
    /// <param name="pretrained">Whether to load the base model's weights.</param>
    public static TransferModel BuildModel(object owner, PipelineFile pipeline, IReadOnlyList<string>? labels, bool pretrained)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(pipeline);
        TorchNative.EnsureLoaded();
        labels ??= PipelineInterpreter.Labels(pipeline);
        var plan = PipelineInterpreter.ModelPlan(pipeline, labels);
        if (!pretrained)
        {
            plan = plan with { Weights = WeightsSource.None };
        }
        var model = TransferModelBuilder.Build(plan, pipeline.Spec.Name);
        Sources.AddOrUpdate(owner, model);
        return model;
    }

    /// <summary>
    /// Checks that the forward layout the generator computed at compile time equals the runtime's (child names in order,
    /// <c>(pool)</c> and <c>(flatten)</c> for the layout steps); throws <see cref="InvalidOperationException"/> if not.
    /// </summary>
    public static void CheckLayout(TransferModel model, params string[] steps)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(steps);
        var actual = model.Steps.Select(s => s.Name).ToArray();
        if (!actual.SequenceEqual(steps, StringComparer.Ordinal))
        {
            throw new InvalidOperationException(
                $"The generated model's layout [{string.Join(", ", steps)}] differs from the runtime's [{string.Join(", ", actual)}]; rebuild with a matching TLDsl.Generator.");
        }
    }

    /// <summary>A kept backbone child (by its state-dict name) or, for <c>head</c>, the head container.</summary>
    public static T Child<T>(TransferModel model, string name) where T : Module
    {
        ArgumentNullException.ThrowIfNull(model);
        foreach (var (childName, module) in model.named_children())
        {
            if (childName == name)
            {
                return module as T ?? throw new InvalidOperationException($"{name} is a {module.GetType().Name}, not a {typeof(T).Name}.");
            }
        }
        throw new InvalidOperationException($"The runtime model has no child '{name}'.");
    }

    /// <summary>The imported ONNX graph of a model whose base is an ONNX file, cut as the pipeline says. Its layers are
    /// the model's children (see <see cref="GraphLayers"/>); the graph itself is not a registered module.</summary>
    public static OnnxGraphModule Graph(TransferModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.StepModule(OnnxBaseArchitecture.StepName) as OnnxGraphModule
            ?? throw new InvalidOperationException($"The runtime model's '{OnnxBaseArchitecture.StepName}' step is not an imported ONNX graph.");
    }

    /// <summary>The imported graph's layers that hold a module, by name (the model's children other than <c>head</c>), in order.</summary>
    public static IReadOnlyList<(string Name, Module Layer)> GraphLayers(TransferModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.named_children().Where(c => c.name != "head").Select(c => (c.name, c.module)).ToArray();
    }

    /// <summary>
    /// Checks that the graph layers the generator read from the layer listing are the ones the runtime kept (names in
    /// order); throws <see cref="InvalidOperationException"/> if not (a listing of another file, or a graph whose cut
    /// keeps layers that come after the cut in run order).
    /// </summary>
    public static void CheckGraphLayers(TransferModel model, params string[] layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        var actual = GraphLayers(model).Select(l => l.Name).ToArray();
        if (!actual.SequenceEqual(layers, StringComparer.Ordinal))
        {
            throw new InvalidOperationException(
                $"The layer listing gave the generated model the layers [{string.Join(", ", layers)}], but the imported graph keeps [{string.Join(", ", actual)}]; write the listing again (tldsl inspect model.onnx --write-layers) and rebuild.");
        }
    }

    /// <summary>The head layer at <paramref name="index"/> (state-dict key <c>head.{index}</c>).</summary>
    public static T HeadLayer<T>(TransferModel model, int index) where T : Module
    {
        ArgumentNullException.ThrowIfNull(model);
        var layer = model.Head.named_children().ElementAt(index).module;
        return layer as T ?? throw new InvalidOperationException($"head.{index} is a {layer.GetType().Name}, not a {typeof(T).Name}.");
    }

    /// <summary>
    /// Starts a training session for an embedded pipeline. The pipeline file at <paramref name="pipelinePath"/> must exist
    /// and hold the same text that was compiled in (so relative data paths resolve as written); otherwise a
    /// <see cref="PipelineException"/> explains the mismatch. A relative path resolves against the current directory
    /// (what generated code passes its assembly to the other overload to avoid).
    /// </summary>
    public static TrainingSession StartSession(string embeddedText, string pipelinePath, TrainingOverrides overrides)
    {
        ArgumentNullException.ThrowIfNull(embeddedText);
        ArgumentNullException.ThrowIfNull(pipelinePath);
        string full = Path.GetFullPath(pipelinePath);
        if (!File.Exists(full))
        {
            throw new PipelineException($"{full}: pipeline file not found; set the options' PipelinePath to the .tl.yaml file this assembly was built from.");
        }
        string onDisk = Sha256(File.ReadAllText(full));
        string embedded = Sha256(embeddedText);
        if (onDisk != embedded)
        {
            throw new PipelineException($"{full}: the file (sha256 {onDisk}) differs from the pipeline compiled into this assembly (sha256 {embedded}); rebuild the project.");
        }
        return TrainingSession.Start(full, overrides);
    }

    /// <summary>
    /// Starts a training session for an embedded pipeline. A relative <paramref name="pipelinePath"/> is looked up in the
    /// project folder <paramref name="assembly"/> was built from, then in the application's folder (never the current
    /// directory); the file must hold the text compiled in, so relative data paths resolve as written. Otherwise a
    /// <see cref="PipelineException"/> lists where it looked.
    /// </summary>
    public static TrainingSession StartSession(string embeddedText, string pipelinePath, TrainingOverrides overrides, Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(embeddedText);
        ArgumentNullException.ThrowIfNull(pipelinePath);
        ArgumentNullException.ThrowIfNull(assembly);
        return StartSession(embeddedText, PipelineAnchor.Require(pipelinePath, assembly, embeddedText), overrides);
    }

    /// <summary>Starts a training session for a pipeline read from embedded text (an attribute pipeline's YAML form);
    /// relative paths resolve against <see cref="PipelineFile.Path"/>, which need not exist.</summary>
    public static TrainingSession StartSession(PipelineFile pipeline, TrainingOverrides overrides) => TrainingSession.Start(pipeline, overrides);

    /// <summary>
    /// Resumes the run in <paramref name="runPath"/> after checking that its pipeline copy is the pipeline compiled into
    /// the assembly (<paramref name="expectedSha256"/>); a <see cref="PipelineException"/> explains a mismatch.
    /// </summary>
    public static TrainingSession ResumeSession(string runPath, string expectedSha256, TrainingOverrides overrides)
    {
        ArgumentNullException.ThrowIfNull(runPath);
        string copy = Path.Combine(Path.GetFullPath(runPath), TrainingSession.PipelineCopy);
        if (!File.Exists(copy))
        {
            throw new PipelineException($"{copy}: not found; '{runPath}' is not a run folder.");
        }
        string actual = Sha256(File.ReadAllText(copy));
        if (actual != expectedSha256)
        {
            throw new PipelineException($"{copy}: the run's pipeline (sha256 {actual}) is not the one compiled into this assembly (sha256 {expectedSha256}); resume it with the assembly that started it, or with tldsl.");
        }
        return TrainingSession.Resume(runPath, overrides);
    }

    /// <summary>The overrides a generated options record stands for: its seed, batch size, learning rate and epochs per
    /// phase replace the pipeline's (phases beyond <paramref name="epochs"/> keep theirs).</summary>
    public static TrainingOverrides Overrides(string? runsRoot, int threads, bool cacheFeatures, int seed, int batch, double learningRate, IReadOnlyList<int> epochs)
    {
        ArgumentNullException.ThrowIfNull(epochs);
        return new TrainingOverrides
        {
            RunsRoot = runsRoot,
            Threads = threads,
            CacheFeatures = cacheFeatures,
            Customize = plan => plan with
            {
                Seed = seed,
                BatchSize = batch,
                Optimizer = plan.Optimizer with { LearningRate = learningRate },
                Phases = plan.Phases.Select((p, i) => i < epochs.Count ? p with { Epochs = epochs[i] } : p).ToArray(),
            },
        };
    }

    /// <summary>The indices of the <paramref name="count"/> largest probabilities, largest first (ties: lower index first).</summary>
    public static int[] Ranking(float[] probabilities, int count)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        return Enumerable.Range(0, probabilities.Length)
            .OrderByDescending(i => probabilities[i]).ThenBy(i => i)
            .Take(Math.Min(count, probabilities.Length)).ToArray();
    }

    /// <summary>Evaluates a session's model on its validation split.</summary>
    public static ClassificationMetrics EvaluateValidation(TrainingSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        return Evaluator.Evaluate(session.Model, session.Data.Valid, session.Data.ValidIndices,
            PipelineInterpreter.Preprocessor(session.Pipeline, false), session.Plan.BatchSize, session.Plan.Seed);
    }

    /// <summary>Class probabilities (softmax, in label order) of one decoded image, preprocessed as the pipeline says.</summary>
    public static float[] Predict(Module<Tensor, Tensor> model, PipelineFile pipeline, DecodedImage image)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(image);
        var preprocessor = PipelineInterpreter.Preprocessor(pipeline, false);
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var batch = preprocessor.Batch(new SingleImage(image), [0], false, 0, 0);
            var probabilities = functional.softmax(model.call(batch), 1);
            return probabilities[0].data<float>().ToArray();
        }
        finally
        {
            model.train(wasTraining);
        }
    }

    /// <summary>Decodes an image file (PNG, BMP, JPEG, ...) for <see cref="Predict"/>.</summary>
    public static DecodedImage Decode(string imagePath) => ImageDecoder.Decode(imagePath);

    private sealed class SingleImage(DecodedImage image) : IImageSource
    {
        public int Count => 1;

        public IReadOnlyList<string> Labels => [];

        public int LabelOf(int index) => 0;

        public string NameOf(int index) => "image";

        public DecodedImage Decode(int index) => image;
    }
}
