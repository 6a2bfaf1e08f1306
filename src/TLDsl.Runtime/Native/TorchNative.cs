using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;
using System.Runtime.Loader;
using System.Security.Cryptography;
using TLDsl.Runtime.IO;

namespace TLDsl.Runtime.Native;

/// <summary>
/// Makes TorchSharp's native library load on Linux systems whose libstdc++ is older than the one TorchSharp was
/// built against (Debian 12, Ubuntu 22.04). Call <see cref="EnsureLoaded"/> before the first use of
/// <c>TorchSharp.torch</c>; every TLDsl entry point already does.
/// </summary>
/// <remarks>
/// Where the stock <c>libLibTorchSharp.so</c> loads, this does nothing else. Where it fails only because
/// <c>GLIBCXX_3.4.32</c> is missing (a link marker nothing calls), a copy with that version marked weak is written once
/// to a per-user cache keyed by the original's SHA-256 and loaded after the stock libtorch libraries, so that exactly
/// one libtorch is in the process and TorchSharp binds to the patched copy by its SONAME. The NuGet cache and system
/// libraries are never written.
/// </remarks>
public static class TorchNative
{
    /// <summary>The library TorchSharp binds to.</summary>
    public const string LibraryFileName = "libLibTorchSharp.so";

    /// <summary>The version GCC 13 emits as a link marker and older libstdc++ lacks.</summary>
    public const string MarkerVersion = "GLIBCXX_3.4.32";

    /// <summary>The only symbol that carries <see cref="MarkerVersion"/>; nothing binds to it.</summary>
    public const string MarkerSymbol = "_ZSt21ios_base_library_initv";

    /// <summary>Overrides the cache folder for patched libraries.</summary>
    public const string CacheEnvironmentVariable = "TLDSL_NATIVE_CACHE";

    // libtorch's own libraries, loaded by full path before the patched copy so that its NEEDED entries resolve
    // to the very files the application would load anyway (a second libtorch aborts the process).
    private static readonly string[] Dependencies = ["libc10.so", "libtorch_cpu.so", "libtorch.so"];

    private static readonly object Gate = new();
    private static TorchNativeStatus? _status;
    private static TorchNativeLoadException? _failure;
    private static IntPtr _handle;

    /// <summary>The outcome of the first call of <see cref="EnsureLoaded"/>, or null before it.</summary>
    public static TorchNativeStatus? Status => _status;

    /// <summary>
    /// Loads TorchSharp's native library (patching a cached copy when the system needs it) and initialises
    /// TorchSharp. Safe to call many times and from many threads; only the first call does work.
    /// </summary>
    /// <returns>What was loaded and how.</returns>
    /// <exception cref="TorchNativeLoadException">Nothing worked; the message lists every attempt and why it failed.</exception>
    public static TorchNativeStatus EnsureLoaded()
    {
        lock (Gate)
        {
            if (_status is not null)
            {
                return _status;
            }
            if (_failure is not null)
            {
                throw _failure;
            }
            try
            {
                _status = Load();
                return _status;
            }
            catch (TorchNativeLoadException e)
            {
                _failure = e;
                throw;
            }
        }
    }

    /// <summary>Like <see cref="EnsureLoaded"/>, but reports failure as false instead of throwing.</summary>
    public static bool TryEnsureLoaded(out TorchNativeStatus? status)
    {
        try
        {
            status = EnsureLoaded();
            return true;
        }
        catch (TorchNativeLoadException)
        {
            status = null;
            return false;
        }
    }

    private static TorchNativeStatus Load()
    {
        var attempts = new List<string>();
        // Before libtorch loads: it reads the switch at its first allocation.
        HugePages.EnableForTensors(attempts);
        if (!OperatingSystem.IsLinux())
        {
            attempts.Add("not Linux: TorchSharp's own loader is used as it is");
            return Initialise(new TorchNativeStatus(TorchNativeMode.Stock, null, null, attempts), attempts, libtorchFolder: null);
        }

        var original = NativeLibraryLocator.Find(LibraryFileName, attempts)
            ?? throw new TorchNativeLoadException(
                $"TorchSharp's native library {LibraryFileName} was not found. Is the TorchSharp-cpu package referenced?", attempts);

        if (NativeLibrary.TryLoad(original, out var stock))
        {
            _handle = stock;
            attempts.Add($"loaded {original} as shipped");
            return Initialise(new TorchNativeStatus(TorchNativeMode.Stock, original, null, attempts), attempts, Path.GetDirectoryName(original)!);
        }

        string error = DescribeLoadFailure(original);
        attempts.Add($"loading {original} failed: {error}");
        if (!error.Contains(MarkerVersion, StringComparison.Ordinal))
        {
            throw new TorchNativeLoadException(
                $"TorchSharp's native library cannot be loaded, for a reason TLDsl does not repair: {error}", attempts);
        }

        string patched = PatchedCopy(original, attempts);
        string folder = Path.GetDirectoryName(original)!;
        foreach (var dependency in Dependencies)
        {
            string path = NativeLibraryLocator.FindDependency(folder, dependency, attempts);
            if (!NativeLibrary.TryLoad(path, out _))
            {
                throw new TorchNativeLoadException(
                    $"libtorch library {path} cannot be loaded: {DescribeLoadFailure(path)}", attempts);
            }
            attempts.Add($"loaded {path}");
        }
        try
        {
            _handle = NativeLibrary.Load(patched);
        }
        catch (DllNotFoundException e)
        {
            throw new TorchNativeLoadException($"the patched copy {patched} does not load either: {e.Message}", attempts);
        }
        attempts.Add($"loaded patched copy {patched}");

        // TorchSharp probes "LibTorchSharp" by name; a bare-name dlopen finds the loaded copy by SONAME, and this
        // handler covers probing orders where a full path to the stock file is tried last.
        AssemblyLoadContext.Default.ResolvingUnmanagedDll += ResolveTorchSharp;
        return Initialise(new TorchNativeStatus(TorchNativeMode.Patched, patched, original, attempts), attempts, folder);
    }

    private static IntPtr ResolveTorchSharp(System.Reflection.Assembly assembly, string name) =>
        name is "LibTorchSharp" or LibraryFileName ? _handle : IntPtr.Zero;

    // libtorchFolder: where libtorch was loaded from (Linux), for the NNPACK switch; null elsewhere.
    private static TorchNativeStatus Initialise(TorchNativeStatus status, List<string> attempts, string? libtorchFolder)
    {
        try
        {
            TorchSharp.torch.InitializeDeviceType(TorchSharp.DeviceType.CPU);
        }
        catch (Exception e) when (e is TypeInitializationException or DllNotFoundException or NotSupportedException)
        {
            var root = e.InnerException ?? e;
            string first = root.Message.Split('\n')[0];
            throw new TorchNativeLoadException($"TorchSharp did not initialise after the native library was loaded: {first}", attempts);
        }
        attempts.Add("TorchSharp initialised");
        if (libtorchFolder is not null)
        {
            NnpackSwitch.DisableWhereUnsupported(libtorchFolder, attempts);
        }
        return status;
    }

    private static string DescribeLoadFailure(string path)
    {
        try
        {
            var h = NativeLibrary.Load(path);
            NativeLibrary.Free(h);
            return "it loads on a second try";
        }
        catch (DllNotFoundException e)
        {
            return e.Message.Trim();
        }
        catch (BadImageFormatException e)
        {
            return e.Message.Trim();
        }
    }

    private static string PatchedCopy(string original, List<string> attempts)
    {
        byte[] image;
        try
        {
            image = File.ReadAllBytes(original);
        }
        catch (IOException e)
        {
            throw new TorchNativeLoadException($"cannot read {original}: {e.Message}", attempts);
        }

        byte[] patched;
        try
        {
            patched = ElfVersionPatcher.MakeVersionWeak(image, original, "libstdc++.so.6", MarkerVersion, [MarkerSymbol]).Patched;
        }
        catch (ElfPatchException e)
        {
            throw new TorchNativeLoadException($"the library cannot be patched safely: {e.Message}", attempts);
        }

        string key = Convert.ToHexStringLower(SHA256.HashData(image));
        string folder = Path.Combine(CacheRoot(), key);
        string target = Path.Combine(folder, LibraryFileName);
        try
        {
            if (AtomicFile.HasContent(target, patched))
            {
                attempts.Add($"reused patched copy {target}");
            }
            else
            {
                AtomicFile.Write(target, patched);
                attempts.Add($"wrote patched copy {target} (only the weak flag of {MarkerVersion} differs)");
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TorchNativeLoadException(
                $"cannot write the patched library to {target}: {e.Message.TrimEnd('.')}. Set {CacheEnvironmentVariable} to a writable folder.", attempts);
        }
        return target;
    }

    /// <summary>The per-user folder that holds patched copies, one subfolder per original's SHA-256.</summary>
    public static string CacheRoot() => UserCacheFolder.Resolve("native", CacheEnvironmentVariable);
}
