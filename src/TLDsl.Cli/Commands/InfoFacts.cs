using System.Text.Json.Serialization;

namespace TLDsl.Cli.Commands;

/// <summary>What <c>tldsl info</c> reports.</summary>
internal sealed record InfoFacts(
    string TldslVersion,
    string TorchSharpVersion,
    string LibtorchVersion,
    string NativeMode,
    string NativeLibrary,
    int Threads,
    double ConvMilliseconds,
    double ConvGflops,
    double ConvGradientNorm);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = false)]
[JsonSerializable(typeof(InfoFacts))]
internal sealed partial class InfoJson : JsonSerializerContext;
