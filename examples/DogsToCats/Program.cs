using System;
using System.Globalization;
using System.IO;
using System.Linq;
using DogsToCats;
using TLDsl.Runtime.Pipelines;

// "A model for dogs reused for cats": small_cnn pre-trained on Fashion-MNIST classes 0-4 (pipelines/pretrain.tl.yaml,
// weights committed in pretrained/) is transferred to classes 5-9 from 20 images per class (pipelines/transfer.tl.yaml:
// classifier dropped, backbone frozen, new head), beside the same network trained from scratch on the same 100 images
// (pipelines/scratch.tl.yaml). The Cats* types are generated at build time from those YAML files.
string folder = ProjectFolder();
string runs = Path.Combine(Path.GetTempPath(), "tldsl-dogs-to-cats");
Console.WriteLine($"labels: {string.Join(", ", CatsTransferLabels.All.Select(l => l.ToDisplayName()))}; runs under {runs}");

using var transfer = new CatsTransferTrainer(new CatsTransferOptions
{
    PipelinePath = Path.Combine(folder, CatsTransferPipeline.SourcePath),
    RunsRoot = runs,
});
var transferResult = transfer.Train();

using var scratch = new CatsScratchTrainer(new CatsScratchOptions
{
    PipelinePath = Path.Combine(folder, CatsScratchPipeline.SourcePath),
    RunsRoot = runs,
});
var scratchResult = scratch.Train();

Console.WriteLine();
Console.WriteLine($"{"",-30} {"transfer",10} {"scratch",10}");
Row("training images", r => r.Session.Data.TrainIndices.Length.ToString("N0", CultureInfo.InvariantCulture));
Row("trainable parameters", r => r.Session.Model.parameters().Where(p => p.requires_grad).Sum(p => p.numel()).ToString("N0", CultureInfo.InvariantCulture));
Row("epochs", r => r.Result.Training.State.Epoch.ToString(CultureInfo.InvariantCulture));
Row("training seconds", r => r.Result.Seconds.ToString("F1", CultureInfo.InvariantCulture));
Row("test images", r => (r.Result.Test?.Count ?? 0).ToString("N0", CultureInfo.InvariantCulture));
Row("test accuracy", r => r.Result.Test is { } t ? t.Accuracy.ToString("P1", CultureInfo.InvariantCulture) : "-");
Row("test macro F1", r => r.Result.Test is { } t ? t.MacroF1.ToString("F3", CultureInfo.InvariantCulture) : "-");

// A typed prediction: the first test image of each class, as both models see it.
var test = transfer.Session.Data.Test!;
Console.WriteLine();
foreach (var label in CatsTransferLabels.All)
{
    int index = Enumerable.Range(0, test.Count).First(i => test.LabelOf(i) == (int)label);
    var image = test.Decode(index);
    CatsTransferPrediction t = transfer.Predict(image);
    CatsScratchPrediction s = scratch.Predict(image);
    Console.WriteLine($"{test.NameOf(index),-32} is {label,-10} transfer: {t.Label,-10} {t.Probability,4:P0}   scratch: {s.Label,-10} {s.Probability,4:P0}");
}

void Row(string name, Func<(TrainingSession Session, SessionResult Result), string> value) =>
    Console.WriteLine($"{name,-30} {value((transfer.Session, transferResult)),10} {value((scratch.Session, scratchResult)),10}");

// The generated SourcePath is relative to the project; find the project from the executable (bin/<config>/<tfm>/).
static string ProjectFolder()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, CatsTransferPipeline.SourcePath)))
        {
            return dir.FullName;
        }
    }
    throw new FileNotFoundException($"{CatsTransferPipeline.SourcePath} not found above {AppContext.BaseDirectory}; run the example from its build output.");
}
