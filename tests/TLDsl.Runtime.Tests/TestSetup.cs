using System.Runtime.CompilerServices;
using TLDsl.Runtime.Native;

namespace TLDsl.Runtime.Tests;

/// <summary>Tests touch TorchSharp directly, so they load its native library first, as any direct user would.</summary>
internal static class TestSetup
{
    [ModuleInitializer]
    internal static void LoadTorch() => TorchNative.EnsureLoaded();
}
