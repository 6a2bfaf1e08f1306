using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks;
using TLDsl.Runtime.Export.Torchrun;

namespace TLDsl.Cli.Tests.Torchrun;

/// <summary>Exports pipelines with the CLI and starts the exported program's worker processes the way torchrun does:
/// one process per rank with RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and MASTER_PORT set (Debian's torchrun launcher
/// itself fails on Python 3.11).</summary>
internal static class TorchrunHarness
{
    private static readonly Lazy<TorchPythonInfo> Found = new(() => TorchPython.Find());

    /// <summary>A Python with torch; a machine without one fails here with the message saying what to install.</summary>
    public static string Python => Found.Value.Executable;

    /// <summary>A small_cnn pipeline over the committed Fashion-MNIST sample: <paramref name="perClass"/> training images
    /// per class, a 20% validation split, the 1,000 test images.</summary>
    public static string SmallCnnPipeline(string folder, string name, int epochs, int perClass = 30, bool dropout = true, string schedule = "one_cycle")
    {
        string yaml = $$"""
            version: 1
            name: {{name}}
            base: { model: small_cnn, drop: [classifier] }
            input: { size: [28, 28], channels: 1, normalize: { mean: [0.286], std: [0.353] } }
            labels: [{{string.Join(", ", TestFiles.FashionLabels)}}]
            head: [{{(dropout ? "dropout: 0.1, " : "")}}linear: labels]
            data:
              train: { idx: { images: "{{TestFiles.Sample("train-images-idx3-ubyte.gz")}}", labels: "{{TestFiles.Sample("train-labels-idx1-ubyte.gz")}}" } }
              valid: { split: 0.2, seed: 3 }
              test: { idx: { images: "{{TestFiles.Sample("test-images-idx3-ubyte.gz")}}", labels: "{{TestFiles.Sample("test-labels-idx1-ubyte.gz")}}" } }
              limit_per_class: {{perClass}}
            train:
              seed: 7
              batch: 16
              optimizer: { adamw: { lr: 3e-3, weight_decay: 0.01 } }
              phases:
                - { name: all, epochs: {{epochs}}, schedule: {{schedule}} }
              checkpoint: { keep: all }
              runs: runs
            """;
        string path = Path.Combine(folder, name + ".tl.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    /// <summary>Runs <c>tldsl export &lt;pipeline&gt; --target torchrun -o &lt;folder&gt;</c> and returns the folder.</summary>
    public static async Task<string> ExportAsync(string pipeline, string folder)
    {
        var export = await CliProcess.RunAsync(null, "export", pipeline, "--target", "torchrun", "-o", folder);
        Assert.True(export.ExitCode == 0, export.ToString());
        Assert.True(File.Exists(Path.Combine(folder, "train.py")), export.ToString());
        return folder;
    }

    /// <summary>Starts <paramref name="world"/> workers of the program in <paramref name="program"/>.</summary>
    public static List<Process> Start(string program, int world, params string[] args)
    {
        int port = FreePort();
        var processes = new List<Process>();
        for (int rank = 0; rank < world; rank++)
        {
            var start = new ProcessStartInfo(Python)
            {
                WorkingDirectory = program,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            start.ArgumentList.Add(Path.Combine(program, "train.py"));
            start.ArgumentList.Add("--threads");
            start.ArgumentList.Add("1");
            foreach (var a in args)
            {
                start.ArgumentList.Add(a);
            }
            start.Environment["RANK"] = rank.ToString(System.Globalization.CultureInfo.InvariantCulture);
            start.Environment["LOCAL_RANK"] = rank.ToString(System.Globalization.CultureInfo.InvariantCulture);
            start.Environment["WORLD_SIZE"] = world.ToString(System.Globalization.CultureInfo.InvariantCulture);
            start.Environment["MASTER_ADDR"] = "127.0.0.1";
            start.Environment["MASTER_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            start.Environment["OMP_NUM_THREADS"] = "1";
            processes.Add(Process.Start(start)!);
        }
        return processes;
    }

    /// <summary>Runs <paramref name="world"/> workers to the end; each one's exit code and output.</summary>
    public static async Task<CliResult[]> RunAsync(string program, int world, params string[] args)
    {
        var processes = Start(program, world, args);
        var results = await Task.WhenAll(processes.Select(async p =>
        {
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            await p.WaitForExitAsync();
            return new CliResult(p.ExitCode, await stdout, await stderr);
        }));
        foreach (var p in processes)
        {
            p.Dispose();
        }
        return results;
    }

    public static void AssertAllSucceeded(CliResult[] results)
    {
        for (int rank = 0; rank < results.Length; rank++)
        {
            Assert.True(results[rank].ExitCode == 0, $"rank {rank}: {results[rank]}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
