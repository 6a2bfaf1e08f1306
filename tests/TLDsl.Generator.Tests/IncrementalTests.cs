using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using TLDsl.Generator;

namespace TLDsl.Generator.Tests;

public sealed class IncrementalTests
{
    private static string Quickstart => File.ReadAllText(Path.Combine(GeneratorHarness.RepoRoot, "pipelines", "quickstart.tl.yaml"));

    private const string Attributed = """
        using TLDsl;
        namespace Demo;
        [TransferPipeline("Shapes")]
        [BaseModel("resnet18")]
        [Input(32, 32)]
        [Labels("circle", "square")]
        [LinearLabels(1)]
        [Freeze(Backbone = true)]
        [Train(Batch = 4, Lr = 0.01, Epochs = 1)]
        public partial class ShapesPipeline { }
        """;

    private static IEnumerable<IncrementalStepRunReason> Reasons(GeneratorDriver driver, string step) =>
        driver.GetRunResult().Results[0].TrackedSteps[step].SelectMany(s => s.Outputs).Select(o => o.Reason);

    [Fact]
    public void An_unrelated_csharp_edit_leaves_every_emit_step_cached()
    {
        var yaml = new MemoryText("pipelines/quickstart.tl.yaml", Quickstart);
        var compilation = GeneratorHarness.Compilation("class A { }", Attributed);
        var driver = GeneratorHarness.Driver(yaml).RunGenerators(compilation);
        var edited = compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText("class B { int X => 1; }", GeneratorHarness.ParseOptions));
        driver = driver.RunGenerators(edited);
        foreach (var step in new[] { PipelineGenerator.Steps.EmitTypes, PipelineGenerator.Steps.EmitIdentity, PipelineGenerator.Steps.Diagnostics })
        {
            var reasons = Reasons(driver, step).ToList();
            Assert.NotEmpty(reasons);
            Assert.All(reasons, r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{step}: {r}"));
        }
    }

    [Fact]
    public void A_yaml_comment_edit_leaves_the_typed_emit_step_unchanged_and_a_real_change_reruns_it()
    {
        var yaml = new MemoryText("pipelines/quickstart.tl.yaml", Quickstart);
        var compilation = GeneratorHarness.Compilation("class A { }");
        var driver = GeneratorHarness.Driver(yaml).RunGenerators(compilation);

        var commented = new MemoryText(yaml.Path, "# a new comment line\n" + Quickstart.Replace("batch: 64", "batch: 64   # per step", StringComparison.Ordinal));
        driver = driver.ReplaceAdditionalText(yaml, commented).RunGenerators(compilation);
        Assert.All(Reasons(driver, PipelineGenerator.Steps.EmitTypes), r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, r.ToString()));
        // The identity (text, hash) does change with the text.
        Assert.Contains(IncrementalStepRunReason.Modified, Reasons(driver, PipelineGenerator.Steps.EmitIdentity));

        var changed = new MemoryText(yaml.Path, Quickstart.Replace("batch: 64", "batch: 32", StringComparison.Ordinal));
        driver = driver.ReplaceAdditionalText(commented, changed).RunGenerators(compilation);
        Assert.Contains(IncrementalStepRunReason.Modified, Reasons(driver, PipelineGenerator.Steps.EmitTypes));
        Assert.Contains(GeneratorHarness.Sources(driver), s => s.HintName == "FashionQuickstart.Trainer.g.cs" && s.Text.Contains("Batch { get; init; } = 32;", StringComparison.Ordinal));
    }

    private static readonly Type[] Forbidden = { typeof(ISymbol), typeof(SyntaxNode), typeof(Location), typeof(Compilation), typeof(SemanticModel), typeof(SyntaxTree) };

    [Fact]
    public void Cached_models_hold_no_compiler_objects()
    {
        var yaml = new MemoryText("pipelines/quickstart.tl.yaml", Quickstart);
        var driver = GeneratorHarness.Driver(yaml).RunGenerators(GeneratorHarness.Compilation(Attributed));
        var steps = driver.GetRunResult().Results[0].TrackedSteps;
        int walked = 0;
        foreach (var (name, runs) in steps.Where(s => s.Key.StartsWith("TLDsl.", StringComparison.Ordinal)))
        {
            foreach (var output in runs.SelectMany(r => r.Outputs))
            {
                Walk(output.Value, name, new HashSet<object>(ReferenceEqualityComparer.Instance), ref walked);
            }
        }
        Assert.Contains(PipelineGenerator.Steps.ParseAttributes, steps.Keys);
        Assert.True(walked > 100, $"walked only {walked} objects");
    }

    private static void Walk(object? value, string path, HashSet<object> seen, ref int walked)
    {
        if (value is null || value is string || value.GetType().IsPrimitive || value is Enum || value is decimal)
        {
            return;
        }
        var type = value.GetType();
        Assert.False(Forbidden.Any(f => f.IsAssignableFrom(type)), $"{path} holds a {type.FullName}");
        if (!type.IsValueType && !seen.Add(value))
        {
            return;
        }
        walked++;
        if (value is Delegate)
        {
            Assert.Fail($"{path} holds a delegate ({type.FullName})");
        }
        if (value is IEnumerable items)
        {
            int i = 0;
            foreach (var item in items)
            {
                Walk(item, $"{path}[{i++}]", seen, ref walked);
            }
            if (type.Namespace?.StartsWith("System", StringComparison.Ordinal) == true)
            {
                return;
            }
        }
        for (var t = type; t is not null && t != typeof(object); t = t.BaseType)
        {
            foreach (var field in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            {
                Walk(field.GetValue(value), path + "." + field.Name, seen, ref walked);
            }
        }
    }
}
