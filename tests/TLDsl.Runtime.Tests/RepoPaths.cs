using System;
using System.IO;

namespace TLDsl.Runtime.Tests;

/// <summary>Finds files of the repository from the test output folder.</summary>
internal static class RepoPaths
{
    public static string Root
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "TLDsl.sln")))
            {
                dir = dir.Parent;
            }
            return dir?.FullName ?? throw new InvalidOperationException("TLDsl.sln not found above " + AppContext.BaseDirectory);
        }
    }

    public static string Get(params string[] parts) => Path.Combine([Root, .. parts]);

    /// <summary>Set TLDSL_ACCEPT=1 to rewrite committed baselines from the current output.</summary>
    public static bool Accept => Environment.GetEnvironmentVariable("TLDSL_ACCEPT") == "1";
}
