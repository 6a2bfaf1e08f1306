using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Diagnostics;
using System.Linq;

namespace TLDsl.Runtime.Export.Torchrun;

/// <summary>A Python interpreter that imports torch and torchvision.</summary>
/// <param name="Executable">The interpreter as it was found (a path or a name on PATH).</param>
/// <param name="TorchVersion">torch.__version__.</param>
public sealed record TorchPythonInfo(string Executable, string TorchVersion);

/// <summary>Finds a Python that can run an exported torchrun program: <c>TLDSL_PYTHON</c>, then Debian's
/// <c>/usr/bin/python3</c> (where <c>apt-get install python3-torch</c> puts PyTorch), then <c>python3</c> on PATH.</summary>
public static class TorchPython
{
    /// <summary>What to install when no Python has PyTorch.</summary>
    public const string InstallHint =
        "Install PyTorch and torchvision for a Python 3 (Debian/Ubuntu: apt-get install python3-torch python3-torchvision; elsewhere: pip install torch torchvision), or set TLDSL_PYTHON to a Python that has them.";

    /// <summary>The interpreters tried, in order.</summary>
    public static IReadOnlyList<string> Candidates()
    {
        var list = new List<string>();
        if (Environment.GetEnvironmentVariable("TLDSL_PYTHON") is { Length: > 0 } configured)
        {
            list.Add(configured);
        }
        list.Add("/usr/bin/python3");
        list.Add("python3");
        return list.Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>The first of <paramref name="candidates"/> (default <see cref="Candidates"/>) that imports torch and
    /// torchvision.</summary>
    /// <exception cref="InvalidOperationException">None does; the message lists each one's reason and what to install.</exception>
    public static TorchPythonInfo Find(IReadOnlyList<string>? candidates = null)
    {
        candidates ??= Candidates();
        var reasons = new List<string>();
        foreach (var candidate in candidates)
        {
            var (ok, output) = Probe(candidate);
            if (ok)
            {
                return new TorchPythonInfo(candidate, output);
            }
            reasons.Add($"{candidate}: {output}");
        }
        throw new InvalidOperationException($"no Python that can import torch and torchvision was found ({string.Join("; ", reasons)}). {InstallHint}");
    }

    private static (bool Ok, string Output) Probe(string executable)
    {
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("import torch, torchvision; print(torch.__version__)");
        try
        {
            using var process = Process.Start(start);
            if (process is null)
            {
                return (false, "could not be started");
            }
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
            {
                process.Kill(entireProcessTree: true);
                return (false, "did not answer within 2 minutes");
            }
            if (process.ExitCode == 0)
            {
                return (true, stdout.Result.Trim());
            }
            string last = stderr.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault()?.Trim() ?? $"exit code {process.ExitCode}";
            return (false, last);
        }
        catch (Win32Exception)
        {
            return (false, "not found");
        }
    }
}
