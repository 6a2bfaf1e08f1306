using TLDsl.Runtime.Onnx.Engine;

namespace TLDsl.Cli.Commands;

/// <summary>The <c>--engine</c> option of <c>tldsl train</c> and <c>tldsl predict</c>.</summary>
internal static class EngineOption
{
    /// <summary>The engine <paramref name="word"/> names (null: auto), or a usage error naming the allowed words.</summary>
    public static InferenceEngine Parse(string? word) => word is null
        ? InferenceEngine.Auto
        : InferenceEngines.TryParse(word) ?? throw new CliUserException($"--engine '{word}' is not an engine; use one of {InferenceEngines.Allowed}.", ExitCodes.Usage);
}
