using System;
using System.CommandLine;
using System.IO;
using System.Linq;
using System.Text;
using TLDsl.Runtime.Data;
using TLDsl.Runtime.Models;
using TLDsl.Spec.Parsing;

namespace TLDsl.Cli.Commands;

/// <summary><c>tldsl new</c>: a valid starting pipeline from an image folder and a catalogue model.</summary>
internal static class NewCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "Image folder with one subfolder per class (the subfolder names become the labels).", Required = true };
        var model = new Option<string>("--model") { Description = "Catalogue model, e.g. resnet18_imagenet, resnet18, mobilenet_v2.", Required = true };
        var output = new Option<string?>("--out") { Description = "The pipeline file to write (default: <data folder name>.tl.yaml in the current folder)." };
        var name = new Option<string?>("--name") { Description = "Pipeline name (a C# identifier; default: from the data folder's name)." };
        var size = new Option<int?>("--size") { Description = "Input image side in pixels (default: the model's, usually 224)." };
        var force = new Option<bool>("--force") { Description = "Overwrite an existing file." };
        var test = new Option<string?>("--test") { Description = "An image folder of the same classes to report the test accuracy on (data.test)." };
        var command = new Command("new", "Scaffold a pipeline from an image folder and a base model: a new head, a validation split, and epochs sized to the data; with pre-trained weights the fine_tune recipe (the head on the frozen, cached backbone, then every layer at decaying rates). The result is validated before it is written.");
        foreach (var o in new Option[] { data, model, output, name, size, force, test })
        {
            command.Options.Add(o);
        }
        command.SetAction(parse => Run(parse.GetValue(data)!, parse.GetValue(model)!, parse.GetValue(output), parse.GetValue(name), parse.GetValue(size), parse.GetValue(force), parse.GetValue(test)));
        return command;
    }

    private static int Run(string dataFolder, string modelName, string? output, string? name, int? size, bool force, string? testFolder)
    {
        if (!Directory.Exists(dataFolder))
        {
            throw new CliUserException($"{dataFolder}: data folder not found.");
        }
        if (!ModelZoo.TryGet(modelName, out var architecture) || architecture is null)
        {
            throw new CliUserException($"unknown model '{modelName}'; known: {string.Join(", ", ModelZoo.All.Select(a => a.Name).Order(StringComparer.Ordinal))}.");
        }
        if (size is <= 0)
        {
            throw new CliUserException($"--size must be positive, got {size}.", ExitCodes.Usage);
        }
        if (testFolder is not null && !Directory.Exists(testFolder))
        {
            throw new CliUserException($"{testFolder}: test folder not found.");
        }
        var images = new FolderImageSource(dataFolder, null);
        var labels = images.Labels;
        string folderName = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(dataFolder)));
        string pipelineName = name ?? Identifier(folderName);
        string path = Path.GetFullPath(output ?? folderName + ".tl.yaml");
        if (File.Exists(path) && !force)
        {
            throw new CliUserException($"{path}: already exists; pass --force to overwrite it.");
        }
        string relativeData = Path.GetRelativePath(Path.GetDirectoryName(path)!, Path.GetFullPath(dataFolder)).Replace('\\', '/');
        string? relativeTest = testFolder is null ? null : Path.GetRelativePath(Path.GetDirectoryName(path)!, Path.GetFullPath(testFolder)).Replace('\\', '/');
        var scaffold = new ScaffoldDefaults(images.Count);
        string yaml = Scaffold(pipelineName, architecture, size ?? architecture.DefaultInputSize, labels.ToArray(), relativeData, relativeTest, dataFolder, scaffold);

        var result = PipelineParser.Parse(yaml, path);
        if (result.HasErrors)
        {
            foreach (var d in result.Diagnostics)
            {
                Console.Error.WriteLine(d.Format());
            }
            throw new CliUserException("the scaffolded pipeline does not validate (see above); nothing was written. Try --name with a C# identifier.");
        }
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, yaml);
        Console.Out.WriteLine(string.Create(Text.C, $"wrote {path}: {architecture.Name}, {labels.Count} labels ({string.Join(", ", labels)}), {images.Count} images"));
        Console.Out.WriteLine($"next: tldsl inspect \"{path}\"   then   tldsl train \"{path}\"");
        return ExitCodes.Success;
    }

    private static string Scaffold(string name, BaseArchitecture architecture, int size, string[] labels, string data, string? test,
        string dataAsGiven, ScaffoldDefaults defaults)
    {
        var named = architecture.Weights.Count > 0 ? architecture.Weights[0] : null;
        var y = new StringBuilder();
        y.Append(Text.C, $"# Scaffolded by `tldsl new --data {dataAsGiven} --model {architecture.Name}`. Check it with `tldsl validate`.\n");
        y.Append("version: 1\n");
        y.Append(Text.C, $"name: {name}\n");
        y.Append("base:\n");
        y.Append(Text.C, $"  model: {architecture.Name}\n");
        if (named is not null)
        {
            y.Append(Text.C, $"  weights: {named.Name}\n");
        }
        else
        {
            y.Append("  # weights: path/to/weights.pth    # this model has no named weights: without a file it trains from scratch\n");
        }
        if (architecture.Classifier is not null)
        {
            y.Append("  drop: [classifier]\n");
        }
        y.Append(Text.C, $"input: {{ size: [{size}, {size}], channels: 3, normalize: {(named is null ? "none" : "weights")} }}\n");
        y.Append("labels: [").Append(string.Join(", ", labels.Select(Quote))).Append("]\n");
        y.Append("head:\n  - dropout: 0.2\n  - linear: labels\n");
        y.Append("data:\n");
        y.Append(Text.C, $"  train: {{ folder: {Quote(data)} }}\n");
        y.Append(Text.C, $"  valid: {{ split: {ScaffoldDefaults.ValidSplit.ToString(Text.C)}, seed: 1 }}\n");
        if (test is not null)
        {
            y.Append(Text.C, $"  test: {{ folder: {Quote(test)} }}\n");
        }
        y.Append("  augment: [flip]\n");
        y.Append(Text.C, $"train:\n  seed: 42\n  batch: {ScaffoldDefaults.Batch}\n");
        if (named is not null)
        {
            // Epochs sized to the data: see ScaffoldDefaults.
            y.Append("  optimizer: { adamw: { lr: 2e-3, weight_decay: 0.01 } }\n");
            y.Append("  # fastai's fine_tune: the head on the frozen backbone (its features computed once and cached, no augmentation),\n");
            y.Append("  # then every layer, with the augmentation and per-stage rates decaying from the head down (tldsl inspect shows both phases)\n");
            y.Append(Text.C, $"  recipe: {{ fine_tune: {{ freeze_epochs: {defaults.FreezeEpochs}, epochs: {defaults.FineTuneEpochs} }} }}\n");
        }
        else
        {
            y.Append("  optimizer: { adamw: { lr: 1e-3, weight_decay: 0.01 } }\n");
            y.Append(Text.C, $"  phases:\n    - {{ name: scratch, epochs: {defaults.ScratchEpochs}, schedule: one_cycle }}\n");
        }
        y.Append("  checkpoint: { keep: best }    # evaluate, predict and export use the best epoch by validation accuracy\n");
        return y.ToString();
    }

    /// <summary>A YAML double-quoted scalar.</summary>
    private static string Quote(string value)
    {
        var s = new StringBuilder("\"");
        foreach (char ch in value)
        {
            s.Append(ch switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                _ when char.IsControl(ch) => string.Create(Text.C, $"\\u{(int)ch:x4}"),
                _ => ch.ToString(),
            });
        }
        return s.Append('"').ToString();
    }

    /// <summary>A PascalCase C# identifier from a folder name (<c>my-photos</c> → <c>MyPhotos</c>).</summary>
    private static string Identifier(string text)
    {
        var parts = System.Text.RegularExpressions.Regex.Split(text, "[^A-Za-z0-9]+").Where(p => p.Length > 0).ToArray();
        string id = string.Concat(parts.Select(p => char.ToUpperInvariant(p[0]) + p[1..]));
        if (id.Length == 0)
        {
            return "Pipeline";
        }
        return char.IsAsciiDigit(id[0]) ? "P" + id : id;
    }
}
