using TLDslApp;

// ClassifierModel, ClassifierLabel, ClassifierOptions and ClassifierTrainer are generated at build time from
// pipelines/classifier.tl.yaml. Its relative paths (../data, ../runs) are anchored at this project's folder (or, for an
// application copied elsewhere, at the application's folder), never at the current directory.
Console.WriteLine($"{ClassifierPipeline.Name}: {ClassifierPipeline.BaseModel} ({ClassifierPipeline.Weights}), labels {string.Join(", ", ClassifierLabels.All)}");

using var trainer = new ClassifierTrainer(new ClassifierOptions { Epochs = [2] });
var result = trainer.Train();
Console.WriteLine($"trained {result.Training.State.Step} steps in {result.Seconds:F1} s; run folder {result.Run.Path}");

// Predict the image given as the first argument, or one of the training images.
string image = args.Length > 0
    ? args[0]
    : Path.Combine(Path.GetDirectoryName(trainer.Session.Pipeline.Path)!, "..", "data", "square", "square-1.png");
ClassifierPrediction prediction = trainer.Predict(image);
ClassifierLabel label = prediction.Label;
Console.WriteLine($"prediction: {label} ({prediction.Probability:P1}) for {Path.GetFileName(image)}");
