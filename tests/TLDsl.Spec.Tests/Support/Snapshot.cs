using System;
using System.IO;

namespace TLDsl.Spec.Tests.Support;

/// <summary>Baseline files in Verify's convention: base.verified.txt, base.received.txt on mismatch, TLDSL_ACCEPT=1 to accept.</summary>
internal static class Snapshot
{
    public static bool Accepting => Environment.GetEnvironmentVariable("TLDSL_ACCEPT") == "1";

    public static void Match(string basePath, string received, string extension = ".txt")
    {
        var verifiedPath = basePath + ".verified" + extension;
        var receivedPath = basePath + ".received" + extension;
        received = received.Replace("\r\n", "\n", StringComparison.Ordinal);
        if (Accepting)
        {
            File.WriteAllText(verifiedPath, received);
            File.Delete(receivedPath);
            return;
        }

        var verified = File.Exists(verifiedPath) ? File.ReadAllText(verifiedPath).Replace("\r\n", "\n", StringComparison.Ordinal) : null;
        if (verified == received)
        {
            File.Delete(receivedPath);
            return;
        }

        File.WriteAllText(receivedPath, received);
        Assert.Fail("Snapshot differs: " + receivedPath + " (set TLDSL_ACCEPT=1 to accept)\n--- verified\n" + verified + "\n--- received\n" + received);
    }
}
