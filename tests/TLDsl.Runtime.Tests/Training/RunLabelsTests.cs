using System;
using System.IO;
using System.Linq;
using TLDsl.Runtime.Pipelines;
using TLDsl.Runtime.Prediction;
using TLDsl.Runtime.Tests.Data;

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

    [Fact]
    public void A_from_data_run_keeps_its_classes_when_the_data_folder_changes()
    {
        Class("cat", 20);
        Class("dog", 200);
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
}
