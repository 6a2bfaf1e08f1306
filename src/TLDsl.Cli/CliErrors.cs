using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
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
internal static partial class CliErrors
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

    private static (int Code, string Message) Describe(Exception e)
    {
        var (code, message) = DescribeFully(e);
        var reduced = WithoutNativeBacktrace(message);
        // A libtorch failure nobody anticipated: say where it came from rather than TorchSharp's exception type.
        return reduced != message && !IsKnown(e) ? (code, "libtorch: " + reduced) : (code, reduced);
    }

    /// <summary>
    /// libtorch's errors (TorchSharp raises them as ExternalException and others) carry the C++ backtrace in their
    /// message: "Exception raised from ..." and a dozen "frame #N: ..." lines. Without <c>--verbose</c> only the first
    /// line before it counts, less an "[enforce fail at file.cpp:N] condition. " prefix that names libtorch's source.
    /// </summary>
    /// <param name="message">An exception's message.</param>
    /// <returns>The message unchanged when it holds no backtrace.</returns>
    internal static string WithoutNativeBacktrace(string message)
    {
        var lines = message.Split('\n');
        var backtrace = Array.FindIndex(lines, l => l.StartsWith("frame #", StringComparison.Ordinal)
            || l.StartsWith("Exception raised from ", StringComparison.Ordinal));
        if (backtrace < 0)
        {
            return message;
        }
        var first = lines.Take(backtrace).Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0);
        if (first is null)
        {
            return "libtorch failed without a message (run again with --verbose for its backtrace)";
        }
        return EnforcePrefix().Replace(first, string.Empty);
    }

    [GeneratedRegex(@"^\[enforce fail at [^\]]*\]\s*(.*?\.\s+)?(?=\S)")]
    private static partial Regex EnforcePrefix();

    private static (int Code, string Message) DescribeFully(Exception e) => e switch
    {
        TorchNativeLoadException => (ExitCodes.NativeLoad, e.Message),
        TypeInitializationException { InnerException: TorchNativeLoadException inner } => (ExitCodes.NativeLoad, inner.Message),
        CliUserException user => (user.ExitCode, user.Message),
        PipelineException when e.Message.Contains('\n', StringComparison.Ordinal) => (ExitCodes.UserError, "the pipeline has errors:" + Environment.NewLine + e.Message),
        _ when IsKnown(e) => (ExitCodes.UserError, e.Message),
        _ when WithoutNativeBacktrace(e.Message) != e.Message => (ExitCodes.UserError, e.Message),
        _ => (ExitCodes.UserError, $"unexpected {e.GetType().Name}: {e.Message}"),
    };

    /// <summary>Exceptions whose message is written for users.</summary>
    private static bool IsKnown(Exception e) => e is CliUserException or PipelineException or DataException or WeightsLoadException
        or SurgeryException or CheckpointException or RunLockedException or OnnxFormatException or Runtime.Onnx.Import.OnnxImportException or TrainingDivergedException
        or Runtime.Onnx.Export.OnnxExportException or Inference.OnnxModelMetadataException or Inference.ImageDecodeException or FileNotFoundException
        or DirectoryNotFoundException or InvalidDataException or KeyNotFoundException or UnauthorizedAccessException or TorchNativeLoadException;
}
