using System;
using System.IO;

namespace TLDsl.Spec.Tests.Support;

/// <summary>Finds files of the repository by walking up from the test binaries to TLDsl.sln.</summary>
internal static class RepoPaths
{
    private static readonly Lazy<string> RootPath = new(() =>
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

    public static string Root => RootPath.Value;

    public static string Combine(params string[] parts) => Path.Combine(Root, Path.Combine(parts));

    public static string[] Pipelines() => Directory.GetFiles(Combine("pipelines"), "*.tl.yaml");
}
