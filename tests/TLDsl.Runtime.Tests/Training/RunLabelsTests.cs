using System;
using System.IO;
using System.Linq;
using TLDsl.Runtime.Pipelines;
using TLDsl.Runtime.Prediction;
using TLDsl.Runtime.Tests.Data;
using TLDsl.Runtime.Training;

namespace TLDsl.Runtime.Tests.Training;

/// <summary>A run keeps the classes it was trained on (labels.txt), so a later change to a <c>labels: from_data</c>
/// folder cannot silently rename or reorder a trained model's outputs.</summary>
public sealed class RunLabelsTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private void Class(string name, byte shade)
    {
        for (int i = 0; i < 6; i++)
        {
            FolderImageSourceTests.Png(_dir.File("data", name, $"{i}.png"), (byte)(shade + (i * 3)), size: 16, channels: 1);
        }
    }

    /// <summary>A small_cnn pipeline whose classes are the data folder's subfolders.</summary>
    private string Pipeline()
    {
        string pipeline = _dir.File("pets.tl.yaml");
        File.WriteAllText(pipeline, """
            version: 1
            name: Pets
            base: { model: small_cnn, weights: none, drop: classifier }
            input: { size: [16, 16], channels: 1 }
            labels: from_data
            head: [linear: labels]
            data:
              train: { folder: data }
              valid: { split: 0.25, seed: 1 }
            train: { batch: 4, phases: [{ epochs: 1 }], runs: runs }
            """);
        return pipeline;
    }

    [Fact]
    public void A_from_data_run_keeps_its_classes_when_the_data_folder_changes()
    {
        Class("cat", 20);
        Class("dog", 200);
        string pipeline = Pipeline();
        string runPath;
        using (var session = TrainingSession.Start(pipeline))
        {
            session.Train();
            runPath = session.Run.Path;
            Assert.Equal("cat\ndog\n", File.ReadAllText(session.Run.LabelsFile));
        }

        Class("emu", 110); // a class added after training
        using (var model = RunModel.Open(runPath))
        {
            Assert.Equal(["cat", "dog"], model.Labels);
            var prediction = model.Predict([_dir.File("data", "dog", "0.png")], topK: 2).Single();
            Assert.Equal(["cat", "dog"], prediction.Top.Select(t => t.Label).Order());
        }
        var e = Assert.Throws<PipelineException>(() => TrainingSession.Resume(runPath));
        Assert.Contains("started with the classes [cat, dog] (labels.txt), but the data now gives [cat, dog, emu]", e.Message, StringComparison.Ordinal);
    }

    /// <summary>A run's labels.txt sizes the head its checkpoint is loaded into: a line removed or added there is named
    /// as the cause, with both counts, instead of a shape mismatch in model.dat.</summary>
    [Fact]
    public void A_class_removed_from_or_added_to_labels_txt_is_named_with_the_counts()
    {
        Class("cat", 20);
        Class("dog", 120);
        Class("emu", 220);
        string run;
        using (var session = TrainingSession.Start(Pipeline()))
        {
            session.Train();
            run = session.Run.Path;
        }
        string labels = Path.Combine(run, "labels.txt");
        Assert.Equal(["cat", "dog", "emu"], File.ReadAllLines(labels));
        using (var model = RunModel.Open(run))
        {
            Assert.Equal(3, model.Labels.Count);
        }

        File.WriteAllLines(labels, ["cat", "dog"]);
        var removed = Assert.Throws<CheckpointException>(() => RunModel.Open(run));
        Assert.StartsWith($"{labels} lists 2 classes, but the checkpoint ", removed.Message, StringComparison.Ordinal);
        Assert.EndsWith(" was trained on 3: a run's class list cannot change after training.", removed.Message, StringComparison.Ordinal);

        File.WriteAllLines(labels, ["cat", "dog", "emu", "fox"]);
        var added = Assert.Throws<CheckpointException>(() => RunModel.Open(run));
        Assert.StartsWith($"{labels} lists 4 classes, but the checkpoint ", added.Message, StringComparison.Ordinal);
        Assert.Contains(" was trained on 3", added.Message, StringComparison.Ordinal);
    }
}
