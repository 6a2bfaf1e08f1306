using System;
using System.Collections.Generic;
using System.CommandLine;
using System.IO;
using System.Linq;
using TLDsl.Spec.Diagnostics;
using TLDsl.Spec.Parsing;

namespace TLDsl.Cli.Commands;

/// <summary><c>tldsl validate</c>: the build's diagnostics, from the command line.</summary>
internal static class ValidateCommand
{
    public static Command Create()
    {
        var paths = new Argument<string[]>("paths") { Description = "Pipeline files, or folders searched (recursively) for *.tl.yaml.", Arity = ArgumentArity.OneOrMore };
        var format = Text.FormatOption();
        var command = new Command("validate", "Check pipeline files and print every diagnostic as the build does: 'file(line,col): error TLD0003: message'. Exit code 1 when any file has an error or is missing.");
        command.Arguments.Add(paths);
        command.Options.Add(format);
        command.SetAction(parse => Run(parse.GetValue(paths)!, parse.GetValue(format) == "json"));
        return command;
    }

    private sealed record FileResult(string Path, IReadOnlyList<SpecDiagnostic> Diagnostics);

    private static int Run(string[] paths, bool json)
    {
        var missing = new List<string>();
        var files = new List<string>();
        foreach (var path in paths)
        {
            if (File.Exists(path))
            {
                files.Add(path);
            }
            else if (Directory.Exists(path))
            {
                var found = Directory.EnumerateFiles(path, "*.tl.yaml", SearchOption.AllDirectories)
                    .Where(f => !IsRunCopy(f))
                    .Order(StringComparer.Ordinal)
                    .ToList();
                if (found.Count == 0)
                {
                    missing.Add($"{path}: no *.tl.yaml file in this folder.");
                }
                files.AddRange(found);
            }
            else
            {
                missing.Add($"{path}: file or folder not found.");
            }
        }

        var results = files.Distinct(StringComparer.Ordinal)
            .Select(f => new FileResult(f, PipelineParser.Parse(BoundedText.ReadPipeline(f), f, PipelineParseOptions.Disk).Diagnostics))
            .ToList();
        int errors = results.Sum(r => r.Diagnostics.Count(d => d.IsError));
        int warnings = results.Sum(r => r.Diagnostics.Count(d => d.Severity == SpecDiagnosticSeverity.Warning));

        foreach (var m in missing)
        {
            Console.Error.WriteLine($"error: {m}");
        }
        if (json)
        {
            WriteJson(results, missing, errors, warnings);
        }
        else
        {
            foreach (var d in results.SelectMany(r => r.Diagnostics))
            {
                Console.Out.WriteLine(d.Format());
            }
            Console.Out.WriteLine(string.Create(Text.C,
                $"{results.Count} pipeline file(s) checked: {errors} error(s), {warnings} warning(s){(missing.Count > 0 ? $", {missing.Count} path(s) not found" : "")}."));
        }
        return errors > 0 || missing.Count > 0 ? ExitCodes.UserError : ExitCodes.Success;
    }

    // Run folders hold a copy of their pipeline, whose relative paths point elsewhere: not a source file.
    private static bool IsRunCopy(string file) => File.Exists(Path.Combine(Path.GetDirectoryName(file) ?? ".", ".run"));

    private static void WriteJson(List<FileResult> results, List<string> missing, int errors, int warnings) => Text.WriteJson(w =>
    {
        w.WriteStartObject();
        w.WriteNumber("errors", errors);
        w.WriteNumber("warnings", warnings);
        w.WriteStartArray("files");
        foreach (var r in results)
        {
            w.WriteStartObject();
            w.WriteString("path", r.Path);
            w.WriteBoolean("valid", !r.Diagnostics.Any(d => d.IsError));
            w.WriteStartArray("diagnostics");
            foreach (var d in r.Diagnostics)
            {
                w.WriteStartObject();
                w.WriteString("id", d.Id);
                w.WriteString("severity", d.Severity.ToString().ToLowerInvariant());
                w.WriteString("message", d.Message);
                if (d.Span is { } s)
                {
                    w.WriteString("file", s.FilePath);
                    w.WriteNumber("line", s.StartLine);
                    w.WriteNumber("column", s.StartColumn);
                    w.WriteNumber("endLine", s.EndLine);
                    w.WriteNumber("endColumn", s.EndColumn);
                }
                w.WriteString("helpLink", d.HelpLink);
                w.WriteString("text", d.Format());
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("missing");
        foreach (var m in missing)
        {
            w.WriteStringValue(m);
        }
        w.WriteEndArray();
        w.WriteEndObject();
    });
}
