using System;
using System.Collections.Generic;
using System.CommandLine;
using System.IO;
using System.Linq;
using TLDsl.Runtime.Data;
using TLDsl.Runtime.Onnx.Engine;
using TLDsl.Runtime.Prediction;

namespace TLDsl.Cli.Commands;

/// <summary><c>tldsl predict</c>: labels and probabilities for image files.</summary>
internal static class PredictCommand
{
    /// <summary>Images per forward pass (RunModel's default).</summary>
    private const int BatchSize = 32;

    public static Command Create()
    {
        var run = new Argument<string>("run") { Description = "A run folder printed by 'tldsl train'." };
        var images = new Argument<string[]>("images") { Description = "Image files (PNG, JPEG, BMP), or folders: every image under them, in name order.", Arity = ArgumentArity.OneOrMore };
        var top = new Option<int>("--top") { Description = "Also list the N most probable labels per image.", DefaultValueFactory = _ => 1 };
        var checkpoint = Text.CheckpointOption();
        var format = Text.FormatOption();
        var engine = new Option<string>("--engine") { Description = "What runs the model: auto (ONNX Runtime, the faster on measurement; torch where the model cannot be exported), ort (the run's model exported to ONNX, cached under the run's onnx/ folder) or torch.", DefaultValueFactory = _ => "auto" };
        var command = new Command("predict", "Classify images with a run's model. Text output: one line per image, 'image<TAB>label<TAB>probability', then with --top N the N best as indented 'label probability' lines. An image that cannot be read gets one error line on stderr; the others are still classified, and the exit code is 1.");
        command.Arguments.Add(run);
        command.Arguments.Add(images);
        command.Options.Add(top);
        command.Options.Add(checkpoint);
        command.Options.Add(format);
        command.Options.Add(engine);
        command.SetAction(parse => Run(parse.GetValue(run)!, parse.GetValue(images)!, parse.GetValue(top), Text.Checkpoint(parse.GetValue(checkpoint)!),
            parse.GetValue(format) == "json", EngineOption.Parse(parse.GetValue(engine))));
        return command;
    }

    private static int Run(string runPath, string[] images, int top, CheckpointChoice checkpoint, bool json, InferenceEngine engine)
    {
        if (top < 1)
        {
            throw new CliUserException($"--top must be at least 1, got {top}.", ExitCodes.Usage);
        }
        Text.RequireRun(runPath);
        var files = images.SelectMany(Expand).ToArray();
        using var model = RunModel.Open(runPath, checkpoint);
        int failed = 0;
        var predictions = new List<ImagePrediction>(files.Length);
        void Print(ImagePrediction p)
        {
            predictions.Add(p);
            if (json)
            {
                return;
            }
            Console.Out.WriteLine($"{p.Image}\t{p.Label}\t{Text.Fixed(p.Probability)}");
            if (top > 1)
            {
                foreach (var t in p.Top)
                {
                    Console.Out.WriteLine($"  {t.Label} {Text.Fixed(t.Probability)}");
                }
            }
        }
        void Fail(DataException e)
        {
            failed++;
            Console.Error.WriteLine($"error: {e.Message}");
        }

        foreach (var batch in files.Chunk(BatchSize))
        {
            IReadOnlyList<ImagePrediction> done;
            try
            {
                done = model.Predict(batch, top, BatchSize, engine);
            }
            catch (DataException)
            {
                // One bad image must not cost the others their result: the batch again, one image at a time.
                foreach (var file in batch)
                {
                    try
                    {
                        Print(model.Predict([file], top, 1, engine)[0]);
                    }
                    catch (DataException e)
                    {
                        Fail(e);
                    }
                }
                continue;
            }
            foreach (var p in done)
            {
                Print(p);
            }
        }
        if (json)
        {
            WriteJson(predictions);
        }
        return failed == 0 ? ExitCodes.Success : ExitCodes.UserError;
    }

    private static void WriteJson(IReadOnlyList<ImagePrediction> predictions) =>
        Text.WriteJson(w =>
        {
            w.WriteStartArray();
            foreach (var p in predictions)
            {
                w.WriteStartObject();
                w.WriteString("image", p.Image);
                w.WriteString("label", p.Label);
                w.WriteNumber("probability", p.Probability);
                w.WriteStartArray("top");
                foreach (var t in p.Top)
                {
                    w.WriteStartObject();
                    w.WriteString("label", t.Label);
                    w.WriteNumber("probability", t.Probability);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
        });

    /// <summary>A file as it is; a folder as the images under it.</summary>
    private static IEnumerable<string> Expand(string path)
    {
        if (!Directory.Exists(path))
        {
            Text.RequireFile(path, "image file");
            return [path];
        }
        var found = FolderImageSource.ImagesUnder(path);
        return found.Count > 0 ? found
            : throw new CliUserException($"{path}: the folder holds no images (looked for {string.Join(", ", FolderImageSource.Extensions)}, any letter case, in it and its subfolders).");
    }
}
