using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Threading.Tasks;

namespace TLDsl.Cli.Tests;

/// <summary>Runs the built <c>tldsl</c> as a child process, as a user would, so every run starts with no type initialised.</summary>
internal static class CliProcess
{
    public static string ToolPath
    {
        get
        {
            string path = Path.Combine(AppContext.BaseDirectory, "tldsl.dll");
            Assert.True(File.Exists(path), $"tldsl.dll should be copied beside the tests: {path}");
            return path;
        }
    }

    public static async Task<CliResult> RunAsync(IReadOnlyDictionary<string, string?>? environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(ToolPath);
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }
        if (environment is not null)
        {
            foreach (var (key, value) in environment)
            {
                start.Environment[key] = value;
            }
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return new CliResult(process.ExitCode, await stdout, await stderr);
    }
}

internal sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}
