using System;
using System.IO;

namespace TLDsl.Runtime.Tests.Fixtures;

/// <summary>Finds the committed files under tests/fixtures from the test's output folder.</summary>
internal static class FixturePaths
{
    private static readonly Lazy<string> Root = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "fixtures");
            if (File.Exists(Path.Combine(candidate, "README.md")))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException($"tests/fixtures not found above {AppContext.BaseDirectory}");
    });

    public static string Get(params string[] parts) => Path.Combine([Root.Value, .. parts]);
}
