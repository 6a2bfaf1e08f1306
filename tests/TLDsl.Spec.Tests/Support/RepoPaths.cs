using System;
using System.IO;

namespace TLDsl.Spec.Tests.Support;

/// <summary>Finds files of the repository by walking up from the test binaries to TLDsl.sln.</summary>
internal static class RepoPaths
{
    public static string Root => TLDsl.Tests.Shared.RepositoryRoot.Folder;

    public static string Combine(params string[] parts) => Path.Combine(Root, Path.Combine(parts));

    public static string[] Pipelines() => Directory.GetFiles(Combine("pipelines"), "*.tl.yaml");
}
