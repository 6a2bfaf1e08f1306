using System;
using System.IO;

namespace TLDsl.Runtime.Tests;

/// <summary>Finds files of the repository from the test output folder.</summary>
internal static class RepoPaths
{
    public static string Root => TLDsl.Tests.Shared.RepositoryRoot.Folder;

    public static string Get(params string[] parts) => Path.Combine([Root, .. parts]);

    /// <summary>Set TLDSL_ACCEPT=1 to rewrite committed baselines from the current output.</summary>
    public static bool Accept => Environment.GetEnvironmentVariable("TLDSL_ACCEPT") == "1";
}
