using System;
using System.IO;
using System.Linq;
using System.Reflection;
using TLDsl.Runtime.Native;
using TLDsl.Runtime.Pipelines;
using TLDsl.Runtime.Reporting;
using TLDsl.Spec.Attributes;
using TLDsl.Spec.Model;
using TLDsl.Spec.Parsing;

namespace TLDsl.Generator.Tests;

/// <summary>
/// An attribute pipeline gets the same trainer as a YAML one: its text is the YAML the attributes stand for, so the run
/// folder's copy resumes (through the generated trainer and through the runtime alone).
/// </summary>
public sealed class AttributeTrainerTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("tldsl-attribute-trainer").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    // Relative data paths: they resolve against the options' PipelinePath, here a file in samples/fashion-mnist.
    private const string Source = """
        using TLDsl;
        namespace Demo;
        [TransferPipeline("TinyFashion")]
        [BaseModel("resnet18")]
        [Drop("fc")]
        [Input(32, 32, Channels = 1, Mean = new[] { 0.5, 0.5, 0.5 }, Std = new[] { 0.25, 0.25, 0.25 })]
        [Labels("t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle_boot")]
        [Dropout(1, 0.1)]
        [LinearLabels(2)]
        [Freeze(Backbone = true)]
        [DataIdx("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", Split = 0.25, SplitSeed = 2, LimitPerClass = 4)]
        [Train(Batch = 8, Lr = 0.01, Epochs = 2, Seed = 3)]
        internal static partial class TinyFashionPipeline { }
        """;

    [Fact]
    public void An_attribute_pipeline_trains_evaluates_predicts_and_resumes_through_its_generated_trainer()
    {
        TorchNative.EnsureLoaded();
        var (driver, output, diagnostics) = GeneratorHarness.Run(GeneratorHarness.Compilation(Source));
        Assert.Empty(diagnostics);
        Assert.Contains(GeneratorHarness.Sources(driver), s => s.HintName == "TinyFashion.Trainer.g.cs");
        var assembly = GeneratorHarness.Load(output);
        var pipelineType = assembly.GetType("Demo.TinyFashionPipeline")!;
        var optionsType = assembly.GetType("Demo.TinyFashionOptions")!;
        var trainerType = assembly.GetType("Demo.TinyFashionTrainer")!;
        Assert.False(trainerType.IsPublic, "the trainer of an internal class should be internal");

        string anchor = Path.Combine(GeneratorHarness.RepoRoot, "samples", "fashion-mnist", "TinyFashionPipeline.cs");
        string runs = Path.Combine(_folder, "runs");
        object options = Activator.CreateInstance(optionsType)!;
        optionsType.GetProperty("PipelinePath")!.SetValue(options, anchor);
        optionsType.GetProperty("RunsRoot")!.SetValue(options, runs);

        string runPath;
        using (var trainer = (IDisposable)Activator.CreateInstance(trainerType, options)!)
        {
            var first = (SessionResult)Invoke(trainer, "Train", null, 3L, default(System.Threading.CancellationToken))!;
            Assert.False(first.Training.State.Finished);
            Assert.Equal(3, first.Training.State.Step);
            runPath = first.Run.Path;
        }

        // The run folder holds the YAML form: the compiled-in text, with the compiled-in hash.
        string copy = File.ReadAllText(Path.Combine(runPath, TrainingSession.PipelineCopy));
        Assert.Equal((string)pipelineType.GetField("Text")!.GetValue(null)!, copy);
        Assert.Contains((string)pipelineType.GetField("Sha256")!.GetValue(null)!, File.ReadAllText(Path.Combine(runPath, "source.txt")), StringComparison.Ordinal);

        var resume = trainerType.GetMethod("Resume", BindingFlags.Public | BindingFlags.Static)!;
        using (var resumed = (IDisposable)resume.Invoke(null, [runPath, options])!)
        {
            var result = (SessionResult)Invoke(resumed, "Train", null, null, default(System.Threading.CancellationToken))!;
            Assert.True(result.Training.State.Finished);
            Assert.Equal(runPath, result.Run.Path);
            Assert.True(result.Training.State.Step > 3, $"resumed at step {result.Training.State.Step}");
            Assert.Equal(2, result.Training.State.Epoch);

            var metrics = (ClassificationMetrics)Invoke(resumed, "Evaluate")!;
            Assert.Equal(10, metrics.Count);

            string image = Path.Combine(GeneratorHarness.RepoRoot, "tests", "fixtures", "images", "chelsea.png");
            object prediction = trainerType.GetMethod("Predict", [typeof(string)])!.Invoke(resumed, [image])!;
            var label = prediction.GetType().GetProperty("Label")!.GetValue(prediction)!;
            Assert.Equal("Demo.TinyFashionLabel", label.GetType().FullName);
            float probability = (float)prediction.GetType().GetProperty("Probability")!.GetValue(prediction)!;
            Assert.InRange(probability, 0.1f, 1f); // the most likely of ten
        }

        // The runtime alone (what `tldsl train --resume` does) reads the copy; the run is complete, so nothing is left.
        using var again = TrainingSession.Resume(runPath, new TrainingOverrides { RunsRoot = runs });
        Assert.Equal("TinyFashion", again.Pipeline.Spec.Name);
        Assert.Equal(anchor, again.Pipeline.Path);
    }

    [Fact]
    public void Options_outside_validations_limits_are_refused_naming_the_setting_and_its_range()
    {
        // The options record feeds TrainingOverrides.Customize, which validation never sees: batch 0, lr 1e39 or NaN and
        // negative epochs once went straight to the trainer.
        var (_, output, diagnostics) = GeneratorHarness.Run(GeneratorHarness.Compilation(Source));
        Assert.Empty(diagnostics);
        var assembly = GeneratorHarness.Load(output);
        var optionsType = assembly.GetType("Demo.TinyFashionOptions")!;
        var trainerType = assembly.GetType("Demo.TinyFashionTrainer")!;
        string runs = Path.Combine(_folder, "runs");
        (string Option, object Value, string Message)[] cases =
        [
            ("Batch", 0, "BatchSize (train.batch) must be an integer >= 1 and <= 65536, got 0."),
            ("Batch", int.MaxValue, "BatchSize (train.batch) must be an integer >= 1 and <= 65536, got 2147483647."),
            ("LearningRate", 1e39, "Optimizer.LearningRate (train.optimizer.adamw.lr) must be a number >= 1e-12 and <= 1e38, got 1e39."),
            ("LearningRate", double.NaN, "Optimizer.LearningRate (train.optimizer.adamw.lr) must be a number >= 1e-12 and <= 1e38, got NaN."),
            ("Epochs", new[] { -2 }, "Phases[0].Epochs (train.phases.epochs) must be an integer >= 1 and <= 100000, got -2."),
            ("Seed", -1, "Seed (train.seed) must be an integer >= 0, got -1."),
            ("Threads", -1, "Threads must be 0 (libtorch's default) or more, got -1."),
        ];
        foreach (var (option, value, message) in cases)
        {
            object options = Activator.CreateInstance(optionsType)!;
            optionsType.GetProperty("PipelinePath")!.SetValue(options, Path.Combine(GeneratorHarness.RepoRoot, "samples", "fashion-mnist", "TinyFashionPipeline.cs"));
            optionsType.GetProperty("RunsRoot")!.SetValue(options, runs);
            optionsType.GetProperty(option)!.SetValue(options, value);
            using var trainer = (IDisposable)Activator.CreateInstance(trainerType, options)!;
            var e = Assert.Throws<TargetInvocationException>(() => trainerType.GetProperty("Session")!.GetValue(trainer));
            var inner = Assert.IsType<PipelineException>(e.InnerException);
            Assert.Equal("a training setting made in code (a generated trainer's options or TrainingOverrides.Customize): " + message, inner.Message);
        }

        Assert.False(Directory.Exists(runs), "a run folder was created for refused options");
    }

    [Fact]
    public void Resuming_a_run_of_another_pipeline_is_refused_with_a_clear_message()
    {
        var (_, output, _) = GeneratorHarness.Run(GeneratorHarness.Compilation(Source));
        var trainerType = GeneratorHarness.Load(output).GetType("Demo.TinyFashionTrainer")!;
        Directory.CreateDirectory(Path.Combine(_folder, "run"));
        File.WriteAllText(Path.Combine(_folder, "run", TrainingSession.PipelineCopy), "version: 1\nname: Other\n");
        var resume = trainerType.GetMethod("Resume", BindingFlags.Public | BindingFlags.Static)!;
        var e = Assert.Throws<TargetInvocationException>(() => resume.Invoke(null, [Path.Combine(_folder, "run"), null]));
        var inner = Assert.IsType<PipelineException>(e.InnerException);
        Assert.Contains("not the one compiled into this assembly", inner.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_yaml_form_of_attributes_parses_to_the_same_spec()
    {
        static AttributeArgument A(object? value, string? name = null) => new(name, value switch
        {
            string s => AttributeValue.Of(s),
            double d => AttributeValue.Of(d),
            int i => AttributeValue.Of((double)i),
            bool b => AttributeValue.Of(b),
            string[] a => AttributeValue.Of(a),
            double[] a => AttributeValue.Of(a),
            _ => AttributeValue.Of((string?)null),
        }, null);
        static AttributeOccurrence At(string name, params AttributeArgument[] args) => new(name, EquatableArray.From(args), null);
        var input = new AttributePipelineInput("OddNames", null, EquatableArray.From(new[]
        {
            At("TransferPipeline", A("Description: \"quoted\", #not a comment", "Description")),
            At("BaseModel", A("resnet18"), A("weights/r18: v1.safetensors", "Weights"), A(new string('a', 64), "Sha256")),
            At("Drop", A(new[] { "fc" })),
            At("Input", A(48), A(40), A(new[] { 0.485, 0.456, 0.406 }, "Mean"), A(new[] { 0.229, 0.224, 0.225 }, "Std")),
            At("Labels", A(new[] { "t-shirt/top", "yes", "null", "1e3", "a: b", "- dash" })),
            At("Dropout", A(1), A(0.3)),
            At("Linear", A(2), A(64), A(false, "Bias")),
            At("Relu", A(3)),
            At("LinearLabels", A(4)),
            At("Freeze", A(new[] { "conv1", "layer1.*" }), A("train_affine", "BatchNorm")),
            At("Train", A(16, "Batch"), A(9, "Seed"), A("sgd", "Optimizer"), A(1e-3, "Lr"), A(0.9, "Momentum"), A(0.1, "LabelSmoothing")),
            At("Phase", A(1), A(2), A("head", "Name"), A("one_cycle", "Schedule")),
            At("Phase", A(2), A(1), A(new[] { "layer4" }, "Unfreeze"), A(1e-4, "Lr")),
            At("DataFolder", A("data/my images"), A(0.2, "Split"), A(7, "SplitSeed"), A(5, "LimitPerClass"), A(3, "LimitSeed")),
        }), EquatableArray.From(Array.Empty<string>()), "src/OddNames.cs");

        var fromAttributes = AttributePipelineReader.Read(input);
        Assert.False(fromAttributes.HasErrors, string.Join("\n", fromAttributes.Diagnostics.Select(d => d.Message)));
        string yaml = AttributePipelineYaml.Write(input);
        var fromYaml = PipelineParser.Parse(yaml, "src/OddNames.cs");
        Assert.False(fromYaml.HasErrors, yaml + "\n" + string.Join("\n", fromYaml.Diagnostics.Select(d => d.Message)));
        Assert.Equal(fromAttributes.Spec, fromYaml.Spec);
        Assert.Equal("OddNames", fromYaml.Spec!.Name);
        Assert.Equal((5, 3), (fromYaml.Spec.Data!.LimitPerClass, fromYaml.Spec.Data.LimitSeed));
        Assert.Equal(yaml, AttributePipelineYaml.Write(input));
        Assert.DoesNotContain("\r", yaml, StringComparison.Ordinal);
    }

    private static object? Invoke(object target, string method, params object?[] args)
    {
        var m = target.GetType().GetMethods().Single(x => x.Name == method && x.GetParameters().Length == args.Length);
        return m.Invoke(target, args);
    }
}
