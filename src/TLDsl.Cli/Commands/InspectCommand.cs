using System;
using System.Collections.Generic;
using System.CommandLine;
using System.IO;
using System.Linq;
using TLDsl.Runtime.Inspection;
using TLDsl.Runtime.Models;
using TLDsl.Runtime.Onnx;
using TLDsl.Runtime.Pipelines;
using TLDsl.Runtime.Weights;

namespace TLDsl.Cli.Commands;

/// <summary><c>tldsl inspect</c>: what a base model, an ONNX file, a weights file or a pipeline contains.</summary>
internal static class InspectCommand
{
    private static readonly string[] WeightsExtensions = [".pth", ".pt", ".safetensors", ".dat"];

    public static Command Create()
    {
        var target = new Argument<string>("target") { Description = "A catalogue model name (e.g. resnet18_imagenet), an .onnx file, a weights file (.pth/.pt/.safetensors/.dat) or a pipeline (*.tl.yaml)." };
        var size = new Option<int?>("--size") { Description = "Input side in pixels for output shapes of a base model (default: the model's)." };
        var depth = new Option<int?>("--depth") { Description = "Show the layer tree down to this depth (default: all for a model, none for a pipeline)." };
        var layers = new Option<string?>("--write-layers") { Description = "For an .onnx file: write its layer listing (catalogue format) to this file, for `base: { onnx: ..., layers: ... }` so the build checks layer names." };
        var command = new Command("inspect", "Show a base model's layer tree (kinds, output shapes, parameter counts), an ONNX file's inputs, outputs, opset and operators, a weights file's tensors, or what a pipeline freezes, drops, adds and trains in each phase.");
        command.Arguments.Add(target);
        command.Options.Add(size);
        command.Options.Add(depth);
        command.Options.Add(layers);
        command.SetAction(parse => Run(parse.GetValue(target)!, parse.GetValue(size), parse.GetValue(depth), parse.GetValue(layers)));
        return command;
    }

    private static int Run(string target, int? size, int? depth, string? writeLayers)
    {
        if (size is <= 0)
        {
            throw new CliUserException($"--size must be positive, got {size}.", ExitCodes.Usage);
        }
        if (File.Exists(target))
        {
            string ext = Path.GetExtension(target).ToLowerInvariant();
            if (ext == ".onnx")
            {
                return Onnx(target, size, writeLayers);
            }
            else if (WeightsExtensions.Contains(ext))
            {
                WeightsFile(target);
            }
            else if (ext is ".yaml" or ".yml")
            {
                Pipeline(target, depth);
            }
            else
            {
                throw new CliUserException($"{target}: cannot inspect a '{ext}' file; expected .onnx, {string.Join("/", WeightsExtensions)} or a *.tl.yaml pipeline.");
            }
            return ExitCodes.Success;
        }
        if (ModelZoo.TryGet(target, out var architecture) && architecture is not null)
        {
            Tree(ModelInspector.Inspect(architecture, size), depth);
            return ExitCodes.Success;
        }
        if (Directory.Exists(target))
        {
            throw new CliUserException($"{target}: is a folder; expected a model name or a file.");
        }
        bool looksLikeFile = target.Contains('/', StringComparison.Ordinal) || target.Contains('\\', StringComparison.Ordinal) || Path.HasExtension(target);
        throw new CliUserException(looksLikeFile
            ? $"{target}: file not found."
            : $"unknown base model '{target}'; known: {string.Join(", ", ModelZoo.All.Select(a => a.Name).Order(StringComparer.Ordinal))}.");
    }

    private static void Tree(ModelReport report, int? maxDepth)
    {
        Console.Out.WriteLine($"{report.Name}: input {Text.Shape(report.InputShape)} -> output {Text.Shape(report.OutputShape)}");
        var rows = report.Layers.Where(l => maxDepth is null || l.Depth <= maxDepth).ToList();
        int nameWidth = Math.Max(5, rows.Select(l => (2 * (l.Depth - 1)) + l.Name.Length).DefaultIfEmpty(0).Max());
        int kindWidth = Math.Max(4, rows.Select(l => l.Kind.Length).DefaultIfEmpty(0).Max());
        int shapeWidth = Math.Max(6, rows.Select(l => Text.Shape(l.OutputShape).Length).DefaultIfEmpty(0).Max());
        Console.Out.WriteLine($"{"layer".PadRight(nameWidth)}  {"kind".PadRight(kindWidth)}  {"output".PadRight(shapeWidth)}  {"params",12}  state");
        foreach (var l in rows)
        {
            string name = new string(' ', 2 * (l.Depth - 1)) + l.Name;
            string state = l.TotalParameters == 0 ? "-" : l.Frozen ? "frozen" : l.PartlyFrozen ? "partly frozen" : "trainable";
            if (l.HeldInEval)
            {
                state += ", eval";
            }
            Console.Out.WriteLine($"{name.PadRight(nameWidth)}  {l.Kind.PadRight(kindWidth)}  {Text.Shape(l.OutputShape).PadRight(shapeWidth)}  {Text.Count(l.TotalParameters),12}  {state}");
        }
        Console.Out.WriteLine($"parameters: {Text.Count(report.TotalParameters)} total, {Text.Count(report.TrainableParameters)} trainable, {Text.Count(report.FrozenParameters)} frozen");
    }

    private static void Pipeline(string path, int? depth)
    {
        var report = PipelineInspector.Inspect(PipelineFile.Load(path));
        var c = Text.C;
        Console.Out.WriteLine(string.Create(c, $"pipeline {report.Pipeline}: base {report.BaseModel}, weights {report.Weights ?? "none"}, input {Text.Shape(report.Model.InputShape)}, {report.Labels.Count} labels"));
        Console.Out.WriteLine($"dropped: {Text.List(report.Dropped)}");
        Console.Out.WriteLine($"features: {Text.Shape(report.FeatureShape)}");
        Console.Out.WriteLine("added:");
        foreach (var layer in report.Added)
        {
            Console.Out.WriteLine($"  {layer.Name,-8} {layer.Kind,-12} {Text.Shape(layer.OutputShape),-10} {Text.Count(layer.TotalParameters),10} params");
        }
        foreach (var phase in report.Phases)
        {
            string epochs = phase.Epochs == 1 ? "1 epoch" : string.Create(c, $"{phase.Epochs} epochs");
            Console.Out.WriteLine(string.Create(c, $"phase {phase.Index + 1} '{phase.Name}' ({epochs}):"));
            if (phase.Unfreezes.Count > 0)
            {
                Console.Out.WriteLine($"  unfreezes:    {Text.List(phase.Unfreezes)}");
            }
            if (phase.Freezes.Count > 0)
            {
                Console.Out.WriteLine($"  freezes:      {Text.List(phase.Freezes)}");
            }
            Console.Out.WriteLine($"  frozen:       {Text.List(phase.Frozen)}");
            Console.Out.WriteLine($"  held in eval: {Text.List(phase.HeldInEval)}");
            Console.Out.WriteLine($"  trained:      {Text.List(phase.Trained)}");
            Console.Out.WriteLine($"  rates:        {string.Join("; ", phase.Rates)} ({phase.Schedule})");
            double percent = phase.TotalParameters == 0 ? 0 : 100.0 * phase.TrainableParameters / phase.TotalParameters;
            Console.Out.WriteLine(string.Create(c, $"  trainable parameters: {Text.Count(phase.TrainableParameters)} of {Text.Count(phase.TotalParameters)} ({percent:F2}%)"));
        }
        if (depth is not null)
        {
            Console.Out.WriteLine();
            Tree(report.Model, depth);
        }
    }

    private static int Onnx(string path, int? size, string? writeLayers)
    {
        int status = OnnxStructure(path);
        var model = OnnxModelFile.Read(path);
        var problems = Runtime.Onnx.Import.OnnxImporter.Check(model);
        if (problems.Count > 0)
        {
            Console.Error.WriteLine(string.Create(Text.C, $"error: {path}: {problems.Count} problem(s) prevent importing it as a trainable model:"));
            foreach (var problem in problems)
            {
                Console.Error.WriteLine($"  {problem}");
            }
            return ExitCodes.UserError;
        }
        using var module = Runtime.Onnx.Import.OnnxImporter.Import(model);
        Console.Out.WriteLine(string.Create(Text.C, $"import: ok, {module.LayerNames.Count} layers; classifier {module.Classifier ?? "(none: headless)"}; {module.Stages.Count} stages"));
        if (writeLayers is not null)
        {
            File.WriteAllText(writeLayers, Runtime.Onnx.Import.OnnxLayerListing.Write(module, size, size));
            Console.Out.WriteLine($"layer listing written to {writeLayers}");
        }
        return status;
    }

    private static int OnnxStructure(string path)
    {
        var model = OnnxModelFile.Read(path);
        var graph = model.Graph;
        var c = Text.C;
        var initializers = new HashSet<string>(model.InitializerNames, StringComparer.Ordinal);
        string opset = model.GetOpsetVersion()?.ToString(c) ?? "?";
        Console.Out.WriteLine(string.Create(c, $"{path}: ONNX IR {model.IrVersion}, opset {opset}, producer {Or(model.Proto.ProducerName)} {model.Proto.ProducerVersion}").TrimEnd());
        Console.Out.WriteLine("inputs:");
        foreach (var input in graph.Input.Where(i => !initializers.Contains(i.Name)))
        {
            Console.Out.WriteLine($"  {input.Name}: {ValueType(input)}");
        }
        Console.Out.WriteLine("outputs:");
        foreach (var output in graph.Output)
        {
            Console.Out.WriteLine($"  {output.Name}: {ValueType(output)}");
        }
        Console.Out.WriteLine(string.Create(c, $"nodes: {graph.Node.Count}"));
        foreach (var group in graph.Node.GroupBy(n => n.OpType).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal))
        {
            Console.Out.WriteLine(string.Create(c, $"  {group.Key,-24} {group.Count(),6}"));
        }
        long values = model.Initializers.Values.Sum(t => t.Dims.Aggregate(1L, (a, b) => a * b));
        Console.Out.WriteLine(string.Create(c, $"initializers: {model.InitializerNames.Count} tensors, {Text.Count(values)} values"));
        foreach (var name in model.InitializerNames)
        {
            var t = model.Initializers[name];
            Console.Out.WriteLine($"  {name}: {OnnxElementType(t.DataType)} {Text.Shape(t.Dims.ToArray())}");
        }
        return ExitCodes.Success;
    }

    private static string Or(string value) => string.IsNullOrEmpty(value) ? "(unknown)" : value;

    private static string ValueType(Runtime.Onnx.Proto.ValueInfoProto value)
    {
        if (value.Type?.TensorType is not { } tensor)
        {
            return "(not a tensor)";
        }
        string dims = tensor.Shape is null ? "?" : "[" + string.Join(", ", tensor.Shape.Dim.Select(d =>
            d.ValueCase == Runtime.Onnx.Proto.TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue ? d.DimValue.ToString(Text.C)
            : string.IsNullOrEmpty(d.DimParam) ? "?" : d.DimParam)) + "]";
        return $"{OnnxElementType(tensor.ElemType)} {dims}";
    }

    private static string OnnxElementType(int type) => Enum.IsDefined(typeof(Runtime.Onnx.Proto.TensorProto.Types.DataType), type)
        ? ((Runtime.Onnx.Proto.TensorProto.Types.DataType)type).ToString().ToLowerInvariant()
        : type.ToString(Text.C);

    private static void WeightsFile(string path)
    {
        var state = StateDictFile.Read(path);
        try
        {
            Console.Out.WriteLine(string.Create(Text.C, $"{path}: {state.Count} tensors"));
            int width = Math.Max(3, state.Keys.Select(k => k.Length).DefaultIfEmpty(0).Max());
            foreach (var (key, tensor) in state)
            {
                Console.Out.WriteLine($"  {key.PadRight(width)}  {tensor.dtype.ToString().ToLowerInvariant(),-8} {Text.Shape(tensor.shape),-20} {Text.Count(tensor.numel()),12}");
            }
            long floats = state.Where(kv => kv.Value.is_floating_point()).Sum(kv => kv.Value.numel());
            Console.Out.WriteLine($"total: {Text.Count(state.Values.Sum(t => t.numel()))} values ({Text.Count(floats)} floating point)");
        }
        finally
        {
            foreach (var t in state.Values)
            {
                t.Dispose();
            }
        }
    }
}
