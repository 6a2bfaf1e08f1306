using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;

namespace TLDsl.Runtime.Native;

/// <summary>
/// Where NNPACK cannot start on this CPU (it needs AVX2, FMA3 and a cache hierarchy that cpuinfo can read; some
/// virtual machines hide the caches), libtorch logs "Could not initialize NNPACK! Reason: Unsupported hardware." each
/// time a convolution considers it: 10 lines and more a run. There, NNPACK is switched off, as PyTorch's
/// <c>torch.backends.nnpack.set_flags(False)</c> does, so libtorch never asks for it; it could not have been used
/// anyway. TorchSharp has no such switch, so libtorch's own exports are called; where they are missing, nothing is
/// changed. No libtorch output is filtered: its other messages show as before.
/// </summary>
internal static unsafe class NnpackSwitch
{
    /// <summary>The libtorch library that holds NNPACK and the switch.</summary>
    public const string LibraryFileName = "libtorch_cpu.so";

    private static IntPtr _library;

    /// <summary>Switches NNPACK off when its initialisation fails on this CPU; records what it did.</summary>
    /// <param name="folder">The folder of the libtorch that was loaded.</param>
    /// <param name="attempts">The load log.</param>
    public static void DisableWhereUnsupported(string folder, List<string> attempts)
    {
        string path = Path.Combine(folder, LibraryFileName);
        if (!File.Exists(path) || !NativeLibrary.TryLoad(path, out _library))
        {
            attempts.Add($"NNPACK left as it is: {path} not found");
            return;
        }
        if (InitialisationStatus() is not { } status || !TrySetEnabled(enabled: false, dryRun: true))
        {
            attempts.Add("NNPACK left as it is: libtorch does not export nnp_initialize or at::Context::setUserEnabledNNPACK");
            return;
        }
        if (status == 0)
        {
            attempts.Add("NNPACK available");
            return;
        }
        TrySetEnabled(enabled: false, dryRun: false);
        attempts.Add($"NNPACK cannot start on this CPU (nnp_initialize status {status}): switched off, so libtorch does not warn at every convolution");
    }

    /// <summary>NNPACK's own initialisation result (0 success), or null where libtorch does not export it. Silent,
    /// unlike libtorch's <c>_nnpack_available</c>; repeated calls are cheap (NNPACK initialises once).</summary>
    internal static int? InitialisationStatus() =>
        TryExport("nnp_initialize", out var initialise) ? ((delegate* unmanaged<int>)initialise)() : null;

    /// <summary>libtorch's <c>at::globalContext().userEnabledNNPACK()</c>, or null where it is not exported.</summary>
    internal static bool? IsEnabled() =>
        TryExport("_ZN2at13globalContextEv", out var context) && TryExport("_ZNK2at7Context17userEnabledNNPACKEv", out var get)
            ? ((delegate* unmanaged<IntPtr, byte>)get)(((delegate* unmanaged<IntPtr>)context)()) != 0
            : null;

    /// <summary>Calls <c>at::globalContext().setUserEnabledNNPACK(enabled)</c> (a non-virtual member: the context is
    /// the first argument on the Itanium C++ ABI that Linux libtorch uses).</summary>
    internal static bool TrySetEnabled(bool enabled, bool dryRun = false)
    {
        if (!TryExport("_ZN2at13globalContextEv", out var context) || !TryExport("_ZN2at7Context20setUserEnabledNNPACKEb", out var set))
        {
            return false;
        }
        if (!dryRun)
        {
            ((delegate* unmanaged<IntPtr, byte, void>)set)(((delegate* unmanaged<IntPtr>)context)(), enabled ? (byte)1 : (byte)0);
        }
        return true;
    }

    private static bool TryExport(string name, out IntPtr address)
    {
        address = IntPtr.Zero;
        return _library != IntPtr.Zero && NativeLibrary.TryGetExport(_library, name, out address);
    }
}
