using System;
using System.IO;
using System.Linq;
using QuickstartConsole;
using static TorchSharp.torch;

// Types generated at build time from pipelines/quickstart.tl.yaml (FashionQuickstart*) and from ShapesPipeline's attributes.
Console.WriteLine($"{FashionQuickstartPipeline.Name}: {FashionQuickstartPipeline.BaseModel} ({FashionQuickstartPipeline.Weights}), sha256 {FashionQuickstartPipeline.Sha256[..12]}");
Console.WriteLine("labels: " + string.Join(", ", FashionQuickstartLabels.All.Select(l => $"{l} \"{l.ToDisplayName()}\"")));

using (var model = new FashionQuickstartModel())
{
    model.eval();
    using var logits = model.call(zeros(1, 3, 112, 112));
    Console.WriteLine($"typed model: {model.parameters().Sum(p => p.numel())} parameters, logits [{string.Join(", ", logits.shape)}]");
}

using (var shapes = new ShapesModel())
{
    Console.WriteLine($"{ShapesPipeline.Name} (attributes): {string.Join(", ", ShapesLabels.All)}; head keys: {string.Join(", ", shapes.state_dict().Keys.Where(k => k.StartsWith("head.", StringComparison.Ordinal)))}");
    // Attribute pipelines get the same trainer; their text is the YAML they stand for (what a run folder keeps).
    Console.WriteLine($"{nameof(ShapesTrainer)} defaults: batch {new ShapesOptions().Batch}; as YAML: {ShapesPipeline.Text.Split('\n').Length} lines, sha256 {ShapesPipeline.Sha256[..12]}");
}

// Training needs the Fashion-MNIST files the pipeline names (apt-get install dataset-fashion-mnist).
if (args.Contains("--train"))
{
    var options = new FashionQuickstartOptions { Epochs = [1], RunsRoot = Path.Combine(Path.GetTempPath(), "tldsl-runs") };
    using var trainer = new FashionQuickstartTrainer(options with { Batch = 32 });
    var result = trainer.Train();
    Console.WriteLine($"trained {result.Training.State.Epoch} epoch(s) in {result.Seconds:F1} s; run folder {result.Run.Path}");
    Console.WriteLine($"valid accuracy {trainer.Evaluate().Accuracy:P1}");
}
