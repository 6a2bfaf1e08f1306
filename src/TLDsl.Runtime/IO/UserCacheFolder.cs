using System;
using System.IO;

namespace TLDsl.Runtime.IO;

/// <summary>The per-user cache folders TLDsl writes derived files to (patched native libraries, mapped weights): an
/// environment variable names the folder, else <c>$XDG_CACHE_HOME/tldsl/&lt;kind&gt;</c>, else
/// <c>~/.cache/tldsl/&lt;kind&gt;</c>.</summary>
internal static class UserCacheFolder
{
    /// <summary>The folder for <paramref name="kind"/>; <paramref name="environmentVariable"/> overrides it.</summary>
    public static string Resolve(string kind, string environmentVariable)
    {
        string? overridden = Environment.GetEnvironmentVariable(environmentVariable);
        if (!string.IsNullOrWhiteSpace(overridden))
        {
            return Path.GetFullPath(overridden);
        }
        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        string root = !string.IsNullOrWhiteSpace(xdg) && Path.IsPathRooted(xdg)
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "tldsl", kind);
    }
}
