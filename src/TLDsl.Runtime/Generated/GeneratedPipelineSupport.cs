using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using TLDsl.Runtime.Data;
using TLDsl.Runtime.Models;
using TLDsl.Runtime.Native;
using TLDsl.Runtime.Pipelines;
using TLDsl.Runtime.Reporting;
using TLDsl.Runtime.Surgery;
using TLDsl.Runtime.Training;
using TLDsl.Spec.Attributes;
using TLDsl.Spec.Parsing;
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

    /// <summary>Reads an attribute pipeline from the attribute occurrences the generator re-emitted as code.</summary>
    /// <param name="input">The attributes, as the generator saw them.</param>
    /// <param name="canonicalText">A stable text form of the attributes, used as the pipeline's text (and so its hash).</param>
    /// <param name="path">The path relative data paths resolve against (normally the source file of the class).</param>
    public static PipelineFile FromAttributes(AttributePipelineInput input, string canonicalText, string path)
    {
        ArgumentNullException.ThrowIfNull(input);
        var result = AttributePipelineReader.Read(input);
        if (result.Spec is null || result.HasErrors)
        {
            throw new PipelineException(result.Diagnostics);
        }
        return new PipelineFile(Path.GetFullPath(path), canonicalText, result.Spec);
    }

    /// <summary>The SHA-256 of <paramref name="text"/> (UTF-8), lower-case hex: the same identity <see cref="PipelineFile.Hash"/> gives.</summary>
    public static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

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
    /// <see cref="PipelineException"/> explains the mismatch.
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

    /// <summary>Evaluates a session's model on its validation split.</summary>
    public static ClassificationMetrics EvaluateValidation(TrainingSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        return Evaluator.Evaluate(session.Model, session.Data.Valid, session.Data.ValidIndices,
            PipelineInterpreter.Preprocessor(session.Pipeline.Spec, false), session.Plan.BatchSize, session.Plan.Seed);
    }

    /// <summary>Class probabilities (softmax, in label order) of one decoded image, preprocessed as the pipeline says.</summary>
    public static float[] Predict(Module<Tensor, Tensor> model, PipelineFile pipeline, DecodedImage image)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(image);
        var preprocessor = PipelineInterpreter.Preprocessor(pipeline.Spec, false);
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
