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
        var command = new Command("new", "Scaffold a pipeline from an image folder and a base model: frozen pre-trained backbone, a new head, a validation split. The result is validated before it is written.");
        foreach (var o in new Option[] { data, model, output, name, size, force })
        {
            command.Options.Add(o);
        }
        command.SetAction(parse => Run(parse.GetValue(data)!, parse.GetValue(model)!, parse.GetValue(output), parse.GetValue(name), parse.GetValue(size), parse.GetValue(force)));
        return command;
    }

    private static int Run(string dataFolder, string modelName, string? output, string? name, int? size, bool force)
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
        var labels = new FolderImageSource(dataFolder, null).Labels;
        string folderName = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(dataFolder)));
        string pipelineName = name ?? Identifier(folderName);
        string path = Path.GetFullPath(output ?? folderName + ".tl.yaml");
        if (File.Exists(path) && !force)
        {
            throw new CliUserException($"{path}: already exists; pass --force to overwrite it.");
        }
        string relativeData = Path.GetRelativePath(Path.GetDirectoryName(path)!, Path.GetFullPath(dataFolder)).Replace('\\', '/');
        string yaml = Scaffold(pipelineName, architecture, size ?? architecture.DefaultInputSize, labels.ToArray(), relativeData, dataFolder);

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
        Console.Out.WriteLine(string.Create(Text.C, $"wrote {path}: {architecture.Name}, {labels.Count} labels ({string.Join(", ", labels)})"));
        Console.Out.WriteLine($"next: tldsl inspect \"{path}\"   then   tldsl train \"{path}\"");
        return ExitCodes.Success;
    }

    private static string Scaffold(string name, BaseArchitecture architecture, int size, string[] labels, string data, string dataAsGiven)
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
        if (named is not null)
        {
            y.Append("freeze:\n  - backbone                        # train the new head only; see phases to unfreeze later\n");
        }
        y.Append("data:\n");
        y.Append(Text.C, $"  train: {{ folder: {Quote(data)} }}\n");
        y.Append("  valid: { split: 0.2, seed: 1 }\n");
        y.Append("  augment: [flip]\n");
        y.Append("train:\n  seed: 42\n  batch: 32\n");
        y.Append("  optimizer: { adamw: { lr: 1e-3, weight_decay: 0.01 } }\n");
        y.Append("  phases:\n    - { name: head, epochs: 3, schedule: one_cycle }\n");
        y.Append("  early_stopping: { metric: valid.accuracy, patience: 3 }\n");
        y.Append("  checkpoint: { keep: best }\n");
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
