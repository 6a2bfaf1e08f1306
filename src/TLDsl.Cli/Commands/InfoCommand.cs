using System;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using TLDsl.Runtime.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace TLDsl.Cli.Commands;

/// <summary><c>tldsl info</c>: versions, how the native library was loaded, threads, and a timed convolution.</summary>
internal static class InfoCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print the facts as one JSON object." };
        var command = new Command("info", "Show TLDsl, TorchSharp and libtorch versions, the native library in use, threads, and time a convolution forward and backward.");
        command.Options.Add(json);
        command.SetAction(parse => Run(parse.GetValue(json)));
        return command;
    }

    private static int Run(bool json)
    {
        var status = TorchNative.EnsureLoaded();
        var conv = TimeConvolution();
        var facts = new InfoFacts(
            TldslVersion: typeof(TorchNative).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown",
            TorchSharpVersion: typeof(torch).Assembly.GetName().Version?.ToString() ?? "unknown",
            LibtorchVersion: torch.__version__,
            NativeMode: status.Mode.ToString(),
            NativeLibrary: status.LibraryPath ?? "(TorchSharp's own loader)",
            Threads: torch.get_num_threads(),
            ConvMilliseconds: conv.Milliseconds,
            ConvGflops: conv.Gflops,
            ConvGradientNorm: conv.GradientNorm);

        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(facts, InfoJson.Default.InfoFacts));
            return 0;
        }
        var c = CultureInfo.InvariantCulture;
        Console.WriteLine($"TLDsl       {facts.TldslVersion}");
        Console.WriteLine($"TorchSharp  {facts.TorchSharpVersion}");
        Console.WriteLine($"libtorch    {facts.LibtorchVersion}");
        Console.WriteLine($"native      {facts.NativeMode}: {facts.NativeLibrary}");
        Console.WriteLine($"threads     {facts.Threads}");
        Console.WriteLine(string.Format(c, "conv        forward+backward 8x3x112x112 -> 64ch 7x7/2: {0:F1} ms ({1:F1} GFLOP/s)", facts.ConvMilliseconds, facts.ConvGflops));
        return 0;
    }

    private static (double Milliseconds, double Gflops, double GradientNorm) TimeConvolution()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(0);
        using var conv = nn.Conv2d(3, 64, 7, stride: 2, padding: 3, bias: false);
        var x = torch.randn(8, 3, 112, 112);
        conv.forward(x).sum().backward(); // warm-up: first calls pick kernels
        conv.zero_grad();
        var watch = Stopwatch.StartNew();
        var y = conv.forward(x);
        y.sum().backward();
        watch.Stop();
        double gradNorm = conv.weight!.grad!.norm().item<float>();
        // forward: 2*Cin*K*K MACs per output element; backward for weights and input roughly twice that.
        double flops = 3 * 2.0 * 3 * 7 * 7 * y.numel();
        double ms = watch.Elapsed.TotalMilliseconds;
        return (ms, flops / (ms * 1e6), gradNorm);
    }
}
