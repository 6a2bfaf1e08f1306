using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace TLDsl.Runtime.Native;

/// <summary>Runs the native fix as soon as TLDsl.Runtime is first used, before any TorchSharp type initialises.</summary>
internal static class NativeModuleInitializer
{
    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255", Justification = "The native library must be in place before TorchSharp's type initializer runs; a failure is kept and reported by EnsureLoaded at the first entry point.")]
    internal static void Initialize() => TorchNative.TryEnsureLoaded(out _);
}
