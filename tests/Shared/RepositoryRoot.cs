using System;
using System.IO;

namespace TLDsl.Tests.Shared;

/// <summary>The repository's root folder, found by walking up from the test binaries to TLDsl.sln (compiled into every
/// test project from tests/Directory.Build.props).</summary>
internal static class RepositoryRoot
{
    private static readonly Lazy<string> Root = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "TLDsl.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("TLDsl.sln not found above " + AppContext.BaseDirectory);
    });

    /// <summary>The folder that holds TLDsl.sln.</summary>
    public static string Folder => Root.Value;
}
