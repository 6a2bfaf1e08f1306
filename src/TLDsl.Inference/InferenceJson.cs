using System.Text.Json.Serialization;

namespace TLDsl.Inference;

/// <summary>Source-generated JSON for the metadata's arrays (trimming- and AOT-safe).</summary>
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(int[]))]
internal sealed partial class InferenceJson : JsonSerializerContext;
