using System;
using System.Threading.Tasks;

namespace TLDsl.Cli.Tests;

/// <summary>libtorch's C++ backtraces stay behind <c>--verbose</c>.</summary>
public sealed class NativeErrorTests
{
    /// <summary>What TorchSharp put in an ExternalException's message for a failed allocation (paths shortened).</summary>
    private const string AllocationFailure =
        "[enforce fail at alloc_cpu.cpp:127] err == 0. DefaultCPUAllocator: can't allocate memory: you tried to allocate 120000000000 bytes. Error code 12 (Cannot allocate memory)\n" +
        "frame #0: c10::ThrowEnforceNotMet(char const*, int, char const*, std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> > const&, void const*) + 0x68 (0x7fa06c2e0fc8 in /x/libc10.so)\n" +
        "frame #1: c10::alloc_cpu(unsigned long) + 0x358 (0x7fa06c2cc148 in /x/libc10.so)\n" +
        "frame #2: <unknown function> + 0x42227 (0x7fa06c277227 in /x/libc10.so)\n" +
        "frame #17: THSTensor_zeros + 0xad (0x7f9478b778dd in /x/libLibTorchSharp.so)\n" +
        "frame #18: [0x7fa0760a80c1]\n";

    /// <summary>The other shape of libtorch message: a TORCH_CHECK text, then where it was raised.</summary>
    private const string CheckFailure =
        "shape '[2, 3]' is invalid for input of size 5\n" +
        "Exception raised from infer_size_impl at /pytorch/aten/src/ATen/InferSize.h:95 (most recent call first):\n" +
        "frame #0: c10::Error::Error(c10::SourceLocation, std::string) + 0x96 (0x7f in /x/libc10.so)\n";

    [Fact]
    public void Allocation_failure_is_reduced_to_its_meaning() =>
        Assert.Equal(
            "DefaultCPUAllocator: can't allocate memory: you tried to allocate 120000000000 bytes. Error code 12 (Cannot allocate memory)",
            CliErrors.WithoutNativeBacktrace(AllocationFailure));

    [Fact]
    public void Check_failure_keeps_its_first_line() =>
        Assert.Equal("shape '[2, 3]' is invalid for input of size 5", CliErrors.WithoutNativeBacktrace(CheckFailure));

    [Fact]
    public void Messages_without_a_backtrace_are_unchanged()
    {
        const string message = "the pipeline has errors:\nline 3: unknown key 'weigths'\nline 9: frame rate";
        Assert.Same(message, CliErrors.WithoutNativeBacktrace(message));
    }

    [Fact]
    public async Task A_real_libtorch_failure_prints_one_line_without_verbose()
    {
        // 3 x 1,000,000 x 1,000,000 floats: 12 TB, refused by the allocator at once on any machine.
        var r = await CliProcess.RunAsync(null, "inspect", "--size", "1000000", "resnet18");
        Assert.True(r.ExitCode == ExitCodes.UserError, r.ToString());
        Assert.StartsWith("error: libtorch: DefaultCPUAllocator: can't allocate memory: you tried to allocate 12000000000000 bytes.", r.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("frame #", r.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("enforce fail", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("(run again with --verbose for details)", r.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);

        var verbose = await CliProcess.RunAsync(null, "inspect", "--size", "1000000", "resnet18", "--verbose");
        Assert.Equal(ExitCodes.UserError, verbose.ExitCode);
        Assert.Contains("frame #0", verbose.Stderr, StringComparison.Ordinal);
    }
}
