using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using TLDsl.Runtime.Native;

namespace TLDsl.Runtime.Tests.Native;

public sealed class ElfVersionPatcherTests
{
    private static readonly string[] Marker = [TorchNative.MarkerSymbol];

    private static string ShippedLibrary()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", TorchNative.LibraryFileName);
        Assert.True(File.Exists(path), $"the test output should hold TorchSharp's shipped library at {path}");
        return path;
    }

    private static (byte[] Patched, long Offset) Patch(byte[] image, string name = "lib") =>
        ElfVersionPatcher.MakeVersionWeak(image, name, "libstdc++.so.6", TorchNative.MarkerVersion, Marker);

    [Fact]
    public void Patching_the_real_library_changes_exactly_the_weak_flag_byte()
    {
        byte[] original = File.ReadAllBytes(ShippedLibrary());
        var (patched, offset) = Patch(original);

        Assert.Equal(original.Length, patched.Length);
        var changed = Enumerable.Range(0, original.Length).Where(i => original[i] != patched[i]).ToArray();
        Assert.Equal([(int)offset], changed);
        Assert.Equal(original[offset] | ElfVersionPatcher.VerFlagWeak, patched[offset]);
        Assert.False(ElfVersionPatcher.IsVersionWeak(original, "original", "libstdc++.so.6", TorchNative.MarkerVersion));
        Assert.True(ElfVersionPatcher.IsVersionWeak(patched, "patched", "libstdc++.so.6", TorchNative.MarkerVersion));
    }

    [Fact]
    public void Readelf_an_independent_reader_sees_only_the_marker_version_turned_weak()
    {
        byte[] original = File.ReadAllBytes(ShippedLibrary());
        string dir = Directory.CreateTempSubdirectory("tldsl-elf").FullName;
        string file = Path.Combine(dir, "patched.so");
        File.WriteAllBytes(file, Patch(original).Patched);

        string[] weak = Readelf("-V", file).Split('\n').Where(l => l.Contains("Flags: WEAK", StringComparison.Ordinal)).ToArray();
        Assert.Single(weak);
        Assert.Contains("GLIBCXX_3.4.32", weak[0], StringComparison.Ordinal);
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void A_patched_file_is_rejected_with_a_clear_message()
    {
        byte[] patched = Patch(File.ReadAllBytes(ShippedLibrary())).Patched;
        var e = Assert.Throws<ElfPatchException>(() => Patch(patched, "again.so"));
        Assert.Equal("again.so: GLIBCXX_3.4.32 is already marked weak; this file was patched before. Patch the original library.", e.Message);
    }

    [Theory]
    [InlineData(40)]
    [InlineData(100_000)]
    [InlineData(2_000_000)]
    public void A_truncated_file_is_rejected(int length)
    {
        byte[] original = File.ReadAllBytes(ShippedLibrary());
        var e = Assert.Throws<ElfPatchException>(() => Patch(original[..length], "cut.so"));
        Assert.StartsWith("cut.so: ", e.Message, StringComparison.Ordinal);
        Assert.True(e.Message.Contains("truncated", StringComparison.Ordinal) || e.Message.Contains("not an ELF", StringComparison.Ordinal), e.Message);
    }

    [Fact]
    public void A_non_elf_file_is_rejected()
    {
        byte[] text = "#!/bin/sh\necho this is no library at all, only some text padding it out\n"u8.ToArray();
        var e = Assert.Throws<ElfPatchException>(() => Patch(text, "script.sh"));
        Assert.Equal("script.sh: not an ELF file (the first bytes are not 0x7F 'E' 'L' 'F').", e.Message);
    }

    [Fact]
    public void A_version_the_library_does_not_need_is_not_patched()
    {
        byte[] original = File.ReadAllBytes(ShippedLibrary());
        var e = Assert.Throws<ElfPatchException>(() =>
            ElfVersionPatcher.MakeVersionWeak(original, "lib.so", "libstdc++.so.6", "GLIBCXX_9.9.99", Marker));
        Assert.Contains("does not require GLIBCXX_9.9.99", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_version_used_by_a_symbol_outside_the_allowed_set_is_refused()
    {
        byte[] original = File.ReadAllBytes(ShippedLibrary());
        var e = Assert.Throws<ElfPatchException>(() =>
            ElfVersionPatcher.MakeVersionWeak(original, "lib.so", "libstdc++.so.6", TorchNative.MarkerVersion, ["something_else"]));
        Assert.Contains($"symbol '{TorchNative.MarkerSymbol}' needs GLIBCXX_3.4.32", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_version_that_real_calls_bind_to_is_refused()
    {
        // GLIBCXX_3.4.21 carries std::__cxx11 string functions the library really calls.
        byte[] original = File.ReadAllBytes(ShippedLibrary());
        var e = Assert.Throws<ElfPatchException>(() =>
            ElfVersionPatcher.MakeVersionWeak(original, "lib.so", "libstdc++.so.6", "GLIBCXX_3.4.21", ["x"]));
        Assert.Contains("needs GLIBCXX_3.4.21", e.Message, StringComparison.Ordinal);
    }

    private static string Readelf(string flags, string file)
    {
        var start = new ProcessStartInfo("readelf", [flags, "-W", file]) { RedirectStandardOutput = true };
        using var process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
        return output;
    }
}
