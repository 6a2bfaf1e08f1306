using System;
using System.Collections.Generic;
using System.IO;
using TLDsl.Runtime.Data;
using TLDsl.Runtime.Native;
using TLDsl.Runtime.Onnx;
using TLDsl.Runtime.Pipelines;
using TLDsl.Runtime.Surgery;
using TLDsl.Runtime.Training;
using TLDsl.Runtime.Weights;

namespace TLDsl.Cli;

/// <summary>Exit codes of <c>tldsl</c>.</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int UserError = 1;
    public const int Usage = 2;
    public const int NativeLoad = 3;
    public const int Interrupted = 130;
}

/// <summary>A mistake the user can fix: the message says what and how; no stack trace.</summary>
internal sealed class CliUserException(string message, int exitCode = ExitCodes.UserError) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

/// <summary>Turns failures a user can act on into one clear message and a non-zero exit, never a stack trace
/// (unless <c>--verbose</c>).</summary>
internal static class CliErrors
{
    public static int Run(Func<int> body, bool verbose = false)
    {
        try
        {
            return body();
        }
        catch (Exception e)
        {
            var (code, message) = Describe(e);
            Console.Error.WriteLine($"error: {message}");
            if (verbose)
            {
                Console.Error.WriteLine(e.ToString());
            }
            else if (code == ExitCodes.UserError && !IsKnown(e))
            {
                Console.Error.WriteLine("(run again with --verbose for details)");
            }
            return code;
        }
    }

    private static (int Code, string Message) Describe(Exception e) => e switch
    {
        TorchNativeLoadException => (ExitCodes.NativeLoad, e.Message),
        TypeInitializationException { InnerException: TorchNativeLoadException inner } => (ExitCodes.NativeLoad, inner.Message),
        CliUserException user => (user.ExitCode, user.Message),
        PipelineException when e.Message.Contains('\n', StringComparison.Ordinal) => (ExitCodes.UserError, "the pipeline has errors:" + Environment.NewLine + e.Message),
        _ when IsKnown(e) => (ExitCodes.UserError, e.Message),
        _ => (ExitCodes.UserError, $"unexpected {e.GetType().Name}: {e.Message}"),
    };

    /// <summary>Exceptions whose message is written for users.</summary>
    private static bool IsKnown(Exception e) => e is CliUserException or PipelineException or DataException or WeightsLoadException
        or SurgeryException or CheckpointException or RunLockedException or OnnxFormatException or Runtime.Onnx.Import.OnnxImportException or TrainingDivergedException or FileNotFoundException
        or DirectoryNotFoundException or InvalidDataException or KeyNotFoundException or UnauthorizedAccessException or TorchNativeLoadException;
}
