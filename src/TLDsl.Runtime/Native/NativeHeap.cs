using System;
using System.Runtime.InteropServices;

namespace TLDsl.Runtime.Native;

/// <summary>
/// glibc's malloc, which holds libtorch's CPU tensors on Linux, tuned for training. Elsewhere (another C library or
/// another system) every call does nothing.
/// </summary>
internal static unsafe class NativeHeap
{
    private const int MTrimThreshold = -1;
    private const int MMmapThreshold = -3;
    private const int MArenaMax = -8;

    /// <summary>The fixed mmap threshold set by <see cref="ConfigureForPhase"/>.</summary>
    public const int MmapThresholdBytes = 4 << 20;

    /// <summary>How much free memory the top of the heap keeps before free() gives it back (<see cref="Trim"/> gives back
    /// the rest at phase boundaries).</summary>
    public const int TrimThresholdBytes = 64 << 20;

    /// <summary>The arena limit set by <see cref="ConfigureForPhase"/>.</summary>
    public const int ArenaMax = 2;

    /// <summary><c>off</c> leaves glibc's own settings in force (measure both: the fixed threshold trades page faults
    /// for flat memory); <c>on</c> or unset tunes it.</summary>
    public const string EnvironmentVariable = "TLDSL_MALLOC_TUNING";

    /// <summary>glibc's own tunables: a user who sets one has tuned the allocator, and that choice wins.</summary>
    private static readonly string[] GlibcTunables = ["GLIBC_TUNABLES", "MALLOC_ARENA_MAX", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_"];

    private static readonly object Gate = new();
    private static bool _resolved;
    private static bool _tuned;
    private static delegate* unmanaged<int, int, int> _mallopt;
    private static delegate* unmanaged<nuint, int> _mallocTrim;

    /// <summary>True where glibc's <c>mallopt</c> and <c>malloc_trim</c> were found.</summary>
    public static bool IsGlibc
    {
        get
        {
            Resolve();
            return _mallopt != null && _mallocTrim != null;
        }
    }

    /// <summary>The fixed mmap threshold after a tuned phase: glibc's self-raising threshold cannot be switched back on,
    /// and its ceiling (32 MiB on 64-bit) is where it ends up in a training loop.</summary>
    public const int UntunedMmapThresholdBytes = 32 << 20;

    /// <summary>
    /// Sets the allocator up for a training phase. A phase that builds and trains on a feature cache gets a fixed <see cref="MmapThresholdBytes"/> threshold: its layer-sized tensors (gradients, optimizer
    /// temporaries, 4-10 MB) then get their own mappings, returned to the system when freed, instead of landing in the
    /// heap under glibc's self-raising threshold, where small long-lived blocks pin the holes they leave and the heap
    /// grew batch after batch (issue #18, a cached prefix feeding trainable layers; building a cache while ONNX Runtime
    /// holds its pool also peaked higher); the heap's top keeps up to <see cref="TrimThresholdBytes"/> free; at most
    /// <see cref="ArenaMax"/> arenas. Other phases keep glibc's behaviour: there the mappings cost page faults on every
    /// step (a full fine-tune ran 2.6x slower with them) and the heap stays flat. Skipped when
    /// <see cref="EnvironmentVariable"/> is <c>off</c> or one of glibc's own tunables is set in the environment.
    /// </summary>
    /// <param name="usesFeatureCache">Whether the phase caches the frozen prefix's features.</param>
    /// <exception cref="ArgumentException"><see cref="EnvironmentVariable"/> holds another word.</exception>
    public static void ConfigureForPhase(bool usesFeatureCache)
    {
        lock (Gate)
        {
            if (!IsGlibc || !Wanted(Environment.GetEnvironmentVariable))
            {
                return;
            }
            if (usesFeatureCache)
            {
                _tuned = true;
                _mallopt(MMmapThreshold, MmapThresholdBytes);
                // A fixed mmap threshold also stops glibc raising its trim threshold (128 KiB otherwise): the heap's
                // top would be given back and faulted in again around every batch.
                _mallopt(MTrimThreshold, TrimThresholdBytes);
                _mallopt(MArenaMax, ArenaMax);
            }
            else if (_tuned)
            {
                _mallopt(MMmapThreshold, UntunedMmapThresholdBytes);
                _mallopt(MTrimThreshold, TrimThresholdBytes);
            }
        }
    }

    /// <summary>Returns the free memory of every malloc arena to the system (<c>malloc_trim(0)</c>); the number of
    /// calls that released something is not needed. Meant for phase boundaries and after a feature cache is built,
    /// not for every step.</summary>
    public static void Trim()
    {
        if (IsGlibc)
        {
            _mallocTrim(0);
        }
    }

    /// <summary>Whether <see cref="ConfigureForPhase"/> tunes glibc, given the process environment.</summary>
    internal static bool Wanted(Func<string, string?> environment)
    {
        switch (environment(EnvironmentVariable))
        {
            case null or "" or "on":
                return !Array.Exists(GlibcTunables, name => environment(name) is not (null or ""));
            case "off":
                return false;
            case var other:
                throw new ArgumentException($"{EnvironmentVariable}='{other}' is not a setting; use 'on' (the default: TLDsl tunes glibc's malloc for training) or 'off' (glibc's own settings).");
        }
    }

    private static void Resolve()
    {
        lock (Gate)
        {
            if (_resolved)
            {
                return;
            }
            _resolved = true;
            if (OperatingSystem.IsLinux() && NativeLibrary.TryLoad("libc.so.6", out var libc)
                && NativeLibrary.TryGetExport(libc, "mallopt", out var mallopt) && NativeLibrary.TryGetExport(libc, "malloc_trim", out var trim))
            {
                _mallopt = (delegate* unmanaged<int, int, int>)mallopt;
                _mallocTrim = (delegate* unmanaged<nuint, int>)trim;
            }
        }
    }
}
