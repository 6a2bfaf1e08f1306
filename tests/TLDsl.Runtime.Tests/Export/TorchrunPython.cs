using System;
using System.Diagnostics;
using System.IO;
using TLDsl.Runtime.Export.Torchrun;

namespace TLDsl.Runtime.Tests.Export;

/// <summary>Runs a Python script beside the exported program's support module, with a Python that imports torch (a
/// machine without one fails here, with the message that says what to install).</summary>
internal static class TorchrunPython
{
    private static readonly Lazy<TorchPythonInfo> Found = new(() => TorchPython.Find());

    /// <summary>Runs <paramref name="script"/> in <paramref name="folder"/> (which gets tldsl_support.py if it lacks it); stdout.</summary>
    public static string Run(string folder, string script)
    {
        string support = Path.Combine(folder, "tldsl_support.py");
        if (!File.Exists(support))
        {
            File.WriteAllText(support, TorchrunExporter.ProgramText("tldsl_support.py"));
        }
        string path = Path.Combine(folder, "check.py");
        File.WriteAllText(path, "import sys\nsys.path.insert(0, sys.argv[1])\n" + script);
        var start = new ProcessStartInfo(Found.Value.Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(path);
        start.ArgumentList.Add(folder);
        start.Environment["OMP_NUM_THREADS"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"python exited with {process.ExitCode}:\n{stderr.Result}");
        return stdout.Result;
    }
}
