using System.Collections.Generic;

namespace TLDsl.Runtime.Native;

/// <summary>How TorchSharp's native library was made available.</summary>
public enum TorchNativeMode
{
    /// <summary>The library as shipped loads on this system; nothing was changed.</summary>
    Stock,

    /// <summary>A cached copy with the GLIBCXX_3.4.32 marker made weak was loaded.</summary>
    Patched,
}

/// <summary>The outcome of <see cref="TorchNative.EnsureLoaded"/>.</summary>
/// <param name="Mode">Stock or patched.</param>
/// <param name="LibraryPath">The file that was loaded (null where TorchSharp's own loader was left to it).</param>
/// <param name="OriginalPath">For a patched copy, the shipped file it was made from.</param>
/// <param name="Attempts">What was tried, in order.</param>
public sealed record TorchNativeStatus(TorchNativeMode Mode, string? LibraryPath, string? OriginalPath, IReadOnlyList<string> Attempts);
