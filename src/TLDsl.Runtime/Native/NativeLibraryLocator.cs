using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace TLDsl.Runtime.Native;

/// <summary>Finds the native files the .NET host would load for this application.</summary>
internal static class NativeLibraryLocator
{
    /// <summary>
    /// The first folder that holds <paramref name="fileName"/>, in the host's own probing order
    /// (NATIVE_DLL_SEARCH_DIRECTORIES), then beside TorchSharp.dll, then the NuGet package folder.
    /// </summary>
    public static string? Find(string fileName, List<string> attempts)
    {
        foreach (var folder in CandidateFolders())
        {
            string path = Path.Combine(folder, fileName);
            if (File.Exists(path))
            {
                attempts.Add($"found {path}");
                return path;
            }
        }
        attempts.Add($"{fileName} is in none of: {string.Join(", ", CandidateFolders())}");
        return null;
    }

    /// <summary>A libtorch library: beside TorchSharp's own library first, so both come from one install.</summary>
    public static string FindDependency(string preferredFolder, string fileName, List<string> attempts)
    {
        string beside = Path.Combine(preferredFolder, fileName);
        if (File.Exists(beside))
        {
            return beside;
        }
        return Find(fileName, attempts)
            ?? throw new TorchNativeLoadException($"libtorch library {fileName} was not found.", attempts);
    }

    private static IEnumerable<string> CandidateFolders()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var folder in HostFolders().Concat(AssemblyFolders()).Concat(NuGetFolders()))
        {
            string full = Path.GetFullPath(folder);
            if (seen.Add(full))
            {
                yield return full;
            }
        }
    }

    private static IEnumerable<string> HostFolders()
    {
        if (AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") is string list)
        {
            foreach (var folder in list.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            {
                yield return folder;
            }
        }
    }

    private static IEnumerable<string> AssemblyFolders()
    {
        // typeof() does not run TorchSharp's static constructor, which is what would fail.
        string? location = typeof(TorchSharp.torch).Assembly.Location;
        string? folder = string.IsNullOrEmpty(location) ? AppContext.BaseDirectory : Path.GetDirectoryName(location);
        if (folder is null)
        {
            yield break;
        }
        yield return folder;
        yield return Path.Combine(folder, "runtimes", "linux-x64", "native");
    }

    private static IEnumerable<string> NuGetFolders()
    {
        string packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p
            ? p
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var version = typeof(TorchSharp.torch).Assembly.GetName().Version;
        if (version is not null)
        {
            yield return Path.Combine(packages, "torchsharp", $"{version.Major}.{version.Minor}.{version.Build}", "runtimes", "linux-x64", "native");
        }
        string libtorch = Path.Combine(packages, "libtorch-cpu-linux-x64");
        if (Directory.Exists(libtorch))
        {
            foreach (var v in Directory.GetDirectories(libtorch).OrderByDescending(d => d, StringComparer.Ordinal))
            {
                yield return Path.Combine(v, "runtimes", "linux-x64", "native");
            }
        }
    }
}
