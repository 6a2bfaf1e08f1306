using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using TLDsl.Tests.Shared;

namespace TLDsl.Tests.PyTorch;

/// <summary>
/// ONNX files PyTorch exports at test time: runs tests/fixtures/onnx/export_torchvision.py into a private temporary
/// folder (deleted on dispose) with a Python that can import torch and torchvision. Each name is exported once per
/// instance; the files are NAME.onnx, NAME.input.npy (the input) and NAME.logits.npy (PyTorch's eval-mode logits).
/// </summary>
/// <remarks>The Python is the first of $TLDSL_PYTHON, /usr/bin/python3 (Debian's, where python3-torch installs) and
/// python3 that imports torch and torchvision; none is an error that says what to install.</remarks>
public sealed class TorchvisionOnnxExports : IDisposable
{
    private static readonly Lazy<string> PythonPath = new(FindPython);
    private readonly object _gate = new();

    public TorchvisionOnnxExports() =>
        Folder = Directory.CreateTempSubdirectory("tldsl-torchvision-onnx").FullName;

    /// <summary>The folder the files are written to.</summary>
    public string Folder { get; }

    /// <summary>The Python used (one that imports torch and torchvision).</summary>
    public static string Python => PythonPath.Value;

    /// <summary>Exports every name not exported yet, in one Python process.</summary>
    public void Export(params string[] names)
    {
        lock (_gate)
        {
            var missing = names.Where(n => !File.Exists(Onnx(n))).ToList();
            if (missing.Count == 0)
            {
                return;
            }

            string script = Path.Combine(RepositoryRoot.Folder, "tests", "fixtures", "onnx", "export_torchvision.py");
            var (exit, output) = Run(Python, [script, Folder, .. missing]);
            if (exit != 0)
            {
                throw new InvalidOperationException($"{script} {string.Join(" ", missing)} failed (exit {exit}):\n{output}");
            }
        }
    }

    public string Onnx(string name) => Path.Combine(Folder, name + ".onnx");

    public string Input(string name) => Path.Combine(Folder, name + ".input.npy");

    public string Logits(string name) => Path.Combine(Folder, name + ".logits.npy");

    public void Dispose()
    {
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static string FindPython()
    {
        var candidates = new List<string>();
        if (Environment.GetEnvironmentVariable("TLDSL_PYTHON") is { Length: > 0 } configured)
        {
            candidates.Add(configured);
        }

        candidates.Add("/usr/bin/python3");
        candidates.Add("python3");
        var tried = new List<string>();
        foreach (var candidate in candidates)
        {
            try
            {
                var (exit, output) = Run(candidate, ["-c", "import torch, torchvision"]);
                if (exit == 0)
                {
                    return candidate;
                }

                tried.Add($"{candidate}: {output.Trim().Split('\n')[^1]}");
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                tried.Add($"{candidate}: {e.Message}");
            }
        }

        throw new InvalidOperationException(
            "these tests need a Python with PyTorch and torchvision (Debian 12: apt-get install python3-torch python3-torchvision, "
            + "or set TLDSL_PYTHON); tried " + string.Join("; ", tried));
    }

    private static (int Exit, string Output) Run(string file, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
