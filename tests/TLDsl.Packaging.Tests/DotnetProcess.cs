using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading.Tasks;

namespace TLDsl.Packaging.Tests;

/// <summary>Runs <c>dotnet</c> (or a published program) as a child process with the feed's environment.</summary>
internal static class DotnetProcess
{
    /// <summary>Runs <paramref name="fileName"/> in <paramref name="workingDirectory"/> and returns its exit code and
    /// combined output; <paramref name="environment"/> entries replace inherited ones (null removes one).</summary>
    public static async Task<ProcessResult> RunAsync(string fileName, string workingDirectory, IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }
        // `dotnet test` hands its MSBuild settings to its children; a nested build must find its own.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || k.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)).ToArray())
        {
            start.Environment.Remove(key);
        }
        foreach (var (key, value) in environment)
        {
            if (value is null)
            {
                start.Environment.Remove(key);
            }
            else
            {
                start.Environment[key] = value;
            }
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return new ProcessResult(string.Join(' ', args.Prepend(Path.GetFileName(fileName))), workingDirectory, process.ExitCode, await stdout + await stderr);
    }
}

/// <summary>What a child process did.</summary>
public sealed record ProcessResult(string Command, string WorkingDirectory, int ExitCode, string Output)
{
    public override string ToString() => $"`{Command}` in {WorkingDirectory}: exit {ExitCode}\n{Output}";
}
