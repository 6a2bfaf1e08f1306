using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text.Json;
using System.Threading.Tasks;

namespace TLDsl.Cli.Tests;

/// <summary>TorchSharp must load by itself in a fresh process, on systems that need the patch and on those that do not.</summary>
public sealed class NativeLoadingTests
{
    private static string ShippedLibrary => Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

    private static Dictionary<string, string?> Cache(string dir) => new() { ["TLDSL_NATIVE_CACHE"] = dir };

    private static JsonElement Info(CliResult r)
    {
        Assert.True(r.ExitCode == 0, r.ToString());
        return JsonDocument.Parse(r.Stdout).RootElement;
    }

    [Fact]
    public async Task A_fresh_process_runs_a_convolution_forward_and_backward()
    {
        string cache = Directory.CreateTempSubdirectory("tldsl-cache").FullName;
        var info = Info(await CliProcess.RunAsync(Cache(cache), "info", "--json"));

        double gradNorm = info.GetProperty("convGradientNorm").GetDouble();
        Assert.True(double.IsFinite(gradNorm) && gradNorm > 0, $"gradient norm {gradNorm}");
        Assert.Equal("0.107.0.0", info.GetProperty("torchSharpVersion").GetString());
        Assert.StartsWith("2.10.0", info.GetProperty("libtorchVersion").GetString(), StringComparison.Ordinal);
        Assert.Contains(info.GetProperty("nativeMode").GetString(), new[] { "Stock", "Patched" });
        Directory.Delete(cache, recursive: true);
    }

    [Fact]
    public async Task Two_processes_racing_on_an_empty_cache_both_load_and_leave_one_whole_patched_file()
    {
        string cache = Directory.CreateTempSubdirectory("tldsl-cache").FullName;
        var runs = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => CliProcess.RunAsync(Cache(cache), "info", "--json")));
        var modes = runs.Select(r => Info(r).GetProperty("nativeMode").GetString()).Distinct().ToArray();
        string mode = Assert.Single(modes)!;

        string[] files = Directory.GetFiles(cache, "*", SearchOption.AllDirectories);
        if (mode == "Stock")
        {
            Assert.Empty(files); // nothing is written where the shipped library loads
            return;
        }
        string file = Assert.Single(files);
        Assert.Equal(Path.Combine(cache, Sha256(File.ReadAllBytes(ShippedLibrary)), "libLibTorchSharp.so"), file);
        AssertOneByteFromShipped(File.ReadAllBytes(file));
        Directory.Delete(cache, recursive: true);
    }

    [Fact]
    public async Task A_torn_cache_file_is_replaced_not_loaded()
    {
        byte[] shipped = File.ReadAllBytes(ShippedLibrary);
        string cache = Directory.CreateTempSubdirectory("tldsl-cache").FullName;
        string torn = Path.Combine(cache, Sha256(shipped), "libLibTorchSharp.so");
        Directory.CreateDirectory(Path.GetDirectoryName(torn)!);
        File.WriteAllBytes(torn, shipped[..4096]);

        var info = Info(await CliProcess.RunAsync(Cache(cache), "info", "--json"));

        if (info.GetProperty("nativeMode").GetString() == "Patched")
        {
            Assert.Equal(torn, info.GetProperty("nativeLibrary").GetString());
            AssertOneByteFromShipped(File.ReadAllBytes(torn));
        }
        Directory.Delete(cache, recursive: true);
    }

    [Fact]
    public async Task An_unwritable_cache_gives_one_clear_error_and_no_stack_trace()
    {
        string probe = Directory.CreateTempSubdirectory("tldsl-cache").FullName;
        string mode = Info(await CliProcess.RunAsync(Cache(probe), "info", "--json")).GetProperty("nativeMode").GetString()!;
        string blocker = Path.Combine(probe, "a-file");
        File.WriteAllText(blocker, "a file where the cache folder should be");

        var r = await CliProcess.RunAsync(Cache(Path.Combine(blocker, "cache")), "info", "--json");

        if (mode == "Stock")
        {
            Assert.Equal(0, r.ExitCode); // the cache is never needed there
            return;
        }
        Assert.Equal(3, r.ExitCode);
        Assert.StartsWith("error: TLDsl could not load TorchSharp's native library: cannot write the patched library to ", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("Set TLDSL_NATIVE_CACHE to a writable folder.", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("Tried:", r.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("TypeInitializationException", r.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(AppContext.BaseDirectory, "cpu")), "TorchSharp's 480 MB fallback copy must not be made");
        Directory.Delete(probe, recursive: true);
    }

    private static void AssertOneByteFromShipped(byte[] patched)
    {
        byte[] shipped = File.ReadAllBytes(ShippedLibrary);
        Assert.Equal(shipped.Length, patched.Length);
        int differing = Enumerable.Range(0, shipped.Length).Count(i => shipped[i] != patched[i]);
        Assert.Equal(1, differing);
    }

    private static string Sha256(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));
}
