using System;
using System.Threading.Tasks;

namespace TLDsl.Cli.Tests;

/// <summary><c>--engine</c> of <c>tldsl train</c> and <c>tldsl predict</c>: a word that names no engine is one clear
/// usage error listing the allowed ones, before any file is read.</summary>
public sealed class EngineOptionTests
{
    [Theory]
    [InlineData("train", "x.tl.yaml", "--engine", "foo")]
    [InlineData("train", "--resume", "some-run", "--engine", "onnx")]
    [InlineData("predict", "some-run", "x.png", "--engine", "foo")]
    public async Task An_unknown_engine_is_one_clear_error(params string[] args)
    {
        var r = await CliProcess.RunAsync(null, args);
        Assert.Equal(2, r.ExitCode);
        Assert.Equal($"error: --engine '{args[^1]}' is not an engine; use one of auto, ort, torch.", r.Stderr.Trim());
        Assert.DoesNotContain("   at ", r.Stderr, StringComparison.Ordinal);
    }
}
