using System.Runtime.CompilerServices;
using TLDsl.Runtime.Native;

// TorchSharp's random generator and thread settings are process-wide: tests that seed it must not interleave.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]

namespace TLDsl.Runtime.Tests;

/// <summary>Tests touch TorchSharp directly, so they load its native library first, as any direct user would.</summary>
internal static class TestSetup
{
    [ModuleInitializer]
    internal static void LoadTorch() => TorchNative.EnsureLoaded();
}
