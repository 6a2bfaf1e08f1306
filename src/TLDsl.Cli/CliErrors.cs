using System;
using TLDsl.Runtime.Native;

namespace TLDsl.Cli;

/// <summary>Turns failures a user can act on into one clear message and a non-zero exit, never a stack trace.</summary>
internal static class CliErrors
{
    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (TorchNativeLoadException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 3;
        }
    }
}
