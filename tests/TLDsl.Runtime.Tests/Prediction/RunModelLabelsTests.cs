using System;
using System.IO;
using System.Linq;
using TLDsl.Runtime.Pipelines;
using TLDsl.Runtime.Prediction;
using TLDsl.Runtime.Tests.Data;
using TLDsl.Runtime.Training;

namespace TLDsl.Runtime.Tests.Prediction;

/// <summary>A run's labels.txt sizes the head its checkpoint is loaded into: a line removed or added there is named as
/// the cause, with both counts, instead of a shape mismatch in model.dat.</summary>
public sealed class RunModelLabelsTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string TrainedRun()
    {
        foreach (var (name, shade) in new[] { ("cat", (byte)20), ("dog", (byte)120), ("emu", (byte)220) })
        {
            for (int i = 0; i < 4; i++)
            {
                FolderImageSourceTests.Png(_dir.File("data", name, $"{i}.png"), (byte)(shade + (i * 3)), size: 16, channels: 1);
            }
        }
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
        using var session = TrainingSession.Start(pipeline);
        session.Train();
        return session.Run.Path;
    }

    [Fact]
    public void A_class_removed_from_or_added_to_labels_txt_is_named_with_the_counts()
    {
        string run = TrainedRun();
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
