using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace TLDsl.Inference;

/// <summary>What an exported model's graph input takes.</summary>
public enum OnnxInputLayout
{
    /// <summary><c>float [N, C, H, W]</c>, already normalised (the exporter's default): the caller preprocesses.</summary>
    NormalizedNchw,

    /// <summary><c>float [N, C, H, W]</c> in [0, 1], RGB (or gray) at the input size: the graph reorders and normalises.</summary>
    UnitNchw,

    /// <summary><c>uint8 [N, H, W, C]</c> pixels, RGB (or gray) at the input size: the graph scales, reorders and normalises.</summary>
    Uint8Nhwc,
}

/// <summary>
/// The metadata TLDsl writes into an exported model's <c>metadata_props</c>: labels in output order, input size and
/// channels, the normalisation, the pipeline's SHA-256 and the TLDsl version. Written by the exporter and read by
/// <see cref="OnnxImageClassifier"/> from this one definition.
/// </summary>
public sealed record OnnxModelInfo
{
    /// <summary>Metadata key: labels in output order (a JSON array of strings).</summary>
    public const string LabelsKey = "tldsl.labels";

    /// <summary>Metadata key: the input [height, width] (JSON).</summary>
    public const string InputSizeKey = "tldsl.input_size";

    /// <summary>Metadata key: the network's channels (1 or 3).</summary>
    public const string InputChannelsKey = "tldsl.input_channels";

    /// <summary>Metadata key: the graph input's layout (<c>normalized_nchw</c>, <c>unit_nchw</c>, <c>uint8_nhwc</c>).</summary>
    public const string InputLayoutKey = "tldsl.input_layout";

    /// <summary>Metadata key: the normalisation as JSON <c>{"scale": [...], "shift": [...], "reverse_channels": bool, "description": "..."}</c>.</summary>
    public const string NormalizationKey = "tldsl.normalization";

    /// <summary>Metadata key (optional): a per-pixel shift [C, H, W] replacing the per-channel shift, base64 float32 little-endian.</summary>
    public const string PixelShiftKey = "tldsl.pixel_shift";

    /// <summary>Metadata key: SHA-256 of the pipeline text that trained the model.</summary>
    public const string PipelineSha256Key = "tldsl.pipeline_sha256";

    /// <summary>Metadata key: the pipeline's name.</summary>
    public const string PipelineNameKey = "tldsl.pipeline_name";

    /// <summary>Metadata key: the TLDsl version that exported the model.</summary>
    public const string VersionKey = "tldsl.version";

    /// <summary>The graph input's name.</summary>
    public const string InputName = "input";

    /// <summary>The logits output's name.</summary>
    public const string LogitsName = "logits";

    /// <summary>The probabilities (softmax of the logits) output's name.</summary>
    public const string ProbabilitiesName = "probabilities";

    /// <summary>Class names in output order.</summary>
    public required IReadOnlyList<string> Labels { get; init; }

    /// <summary>The input height.</summary>
    public required int Height { get; init; }

    /// <summary>The input width.</summary>
    public required int Width { get; init; }

    /// <summary>The network's channels.</summary>
    public required int Channels { get; init; }

    /// <summary>What the graph input takes.</summary>
    public required OnnxInputLayout Layout { get; init; }

    /// <summary>Per-channel scale (network channel order) for RGB input in [0, 1].</summary>
    public required IReadOnlyList<float> Scale { get; init; }

    /// <summary>Per-channel shift (network channel order).</summary>
    public required IReadOnlyList<float> Shift { get; init; }

    /// <summary>Whether RGB is reversed to BGR before scaling.</summary>
    public required bool ReverseChannels { get; init; }

    /// <summary>A per-pixel shift [C, H, W] replacing <see cref="Shift"/> at this input size, or null.</summary>
    public IReadOnlyList<float>? PixelShift { get; init; }

    /// <summary>The normalisation in words.</summary>
    public string NormalizationDescription { get; init; } = string.Empty;

    /// <summary>SHA-256 of the pipeline text.</summary>
    public required string PipelineSha256 { get; init; }

    /// <summary>The pipeline's name.</summary>
    public string PipelineName { get; init; } = string.Empty;

    /// <summary>The TLDsl version that exported the model.</summary>
    public required string Version { get; init; }

    /// <summary>The evaluation preprocessing this model was trained and evaluated with.</summary>
    public EvaluationPreprocessing Preprocessing() =>
        new(Height, Width, Channels, Scale, Shift, ReverseChannels, PixelShift?.ToArray());

    /// <summary>The metadata as <c>metadata_props</c> entries.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> ToProperties()
    {
        var c = CultureInfo.InvariantCulture;
        var normalization = new JsonObject
        {
            ["scale"] = new JsonArray(Scale.Select(v => JsonValue.Create(v)).ToArray<JsonNode?>()),
            ["shift"] = new JsonArray(Shift.Select(v => JsonValue.Create(v)).ToArray<JsonNode?>()),
            ["reverse_channels"] = ReverseChannels,
            ["description"] = NormalizationDescription,
        };
        var list = new List<KeyValuePair<string, string>>
        {
            new(LabelsKey, JsonSerializer.Serialize(Labels.ToArray(), InferenceJson.Default.StringArray)),
            new(InputSizeKey, string.Create(c, $"[{Height}, {Width}]")),
            new(InputChannelsKey, Channels.ToString(c)),
            new(InputLayoutKey, LayoutName(Layout)),
            new(NormalizationKey, normalization.ToJsonString()),
            new(PipelineSha256Key, PipelineSha256),
            new(PipelineNameKey, PipelineName),
            new(VersionKey, Version),
        };
        if (PixelShift is { } pixels)
        {
            var bytes = new byte[pixels.Count * 4];
            for (int i = 0; i < pixels.Count; i++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), pixels[i]);
            }

            list.Add(new(PixelShiftKey, Convert.ToBase64String(bytes)));
        }

        return list;
    }

    /// <summary>Reads the metadata of a model exported by TLDsl.</summary>
    /// <param name="properties">The model's <c>metadata_props</c>.</param>
    /// <param name="source">The model file, for messages.</param>
    /// <exception cref="OnnxModelMetadataException">A key is missing or malformed (the model was not exported by
    /// <c>tldsl export --format onnx</c>, or was edited).</exception>
    public static OnnxModelInfo Parse(IReadOnlyDictionary<string, string> properties, string source)
    {
        ArgumentNullException.ThrowIfNull(properties);
        string Get(string key) => properties.TryGetValue(key, out var v) ? v
            : throw new OnnxModelMetadataException($"{source}: the model's metadata has no '{key}'; only models written by 'tldsl export --format onnx' carry TLDsl's metadata (keys: {string.Join(", ", AllKeys)}).");
        T Read<T>(string key, Func<string, T> parse)
        {
            var text = Get(key);
            try
            {
                return parse(text);
            }
            catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or OverflowException or ArgumentException or NullReferenceException)
            {
                throw new OnnxModelMetadataException($"{source}: the metadata '{key}' is malformed ('{Shorten(text)}'): {e.Message}", e);
            }
        }

        var labels = Read(LabelsKey, t => JsonSerializer.Deserialize(t, InferenceJson.Default.StringArray) ?? throw new FormatException("null"));
        var size = Read(InputSizeKey, t => JsonSerializer.Deserialize(t, InferenceJson.Default.Int32Array) is [var h, var w] && h > 0 && w > 0 ? (h, w) : throw new FormatException("expected [height, width], both positive"));
        var channels = Read(InputChannelsKey, t => int.Parse(t, NumberStyles.None, CultureInfo.InvariantCulture) is var n and (1 or 3) ? n : throw new FormatException("expected 1 or 3"));
        var layout = Read(InputLayoutKey, ParseLayout);
        var (scale, shift, reverse, description) = Read(NormalizationKey, t =>
        {
            var node = JsonNode.Parse(t)!.AsObject();
            return (node["scale"]!.AsArray().Select(v => v!.GetValue<float>()).ToArray(),
                node["shift"]!.AsArray().Select(v => v!.GetValue<float>()).ToArray(),
                node["reverse_channels"]!.GetValue<bool>(),
                node["description"]?.GetValue<string>() ?? string.Empty);
        });
        float[]? pixelShift = properties.ContainsKey(PixelShiftKey)
            ? Read(PixelShiftKey, t =>
            {
                var bytes = Convert.FromBase64String(t);
                var values = new float[bytes.Length / 4];
                for (int i = 0; i < values.Length; i++)
                {
                    values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * 4));
                }

                return values.Length == channels * size.h * size.w ? values : throw new FormatException($"expected {channels * size.h * size.w} floats, found {values.Length}");
            })
            : null;
        if (labels.Length == 0)
        {
            throw new OnnxModelMetadataException($"{source}: the metadata '{LabelsKey}' lists no labels.");
        }

        return new OnnxModelInfo
        {
            Labels = labels,
            Height = size.h,
            Width = size.w,
            Channels = channels,
            Layout = layout,
            Scale = scale,
            Shift = shift,
            ReverseChannels = reverse,
            PixelShift = pixelShift,
            NormalizationDescription = description,
            PipelineSha256 = Get(PipelineSha256Key),
            PipelineName = properties.TryGetValue(PipelineNameKey, out var name) ? name : string.Empty,
            Version = Get(VersionKey),
        };
    }

    /// <summary>The layout's name in the metadata.</summary>
    public static string LayoutName(OnnxInputLayout layout) => layout switch
    {
        OnnxInputLayout.NormalizedNchw => "normalized_nchw",
        OnnxInputLayout.UnitNchw => "unit_nchw",
        OnnxInputLayout.Uint8Nhwc => "uint8_nhwc",
        _ => throw new ArgumentOutOfRangeException(nameof(layout), layout, "unknown input layout"),
    };

    private static OnnxInputLayout ParseLayout(string text) => text switch
    {
        "normalized_nchw" => OnnxInputLayout.NormalizedNchw,
        "unit_nchw" => OnnxInputLayout.UnitNchw,
        "uint8_nhwc" => OnnxInputLayout.Uint8Nhwc,
        _ => throw new FormatException("allowed: normalized_nchw, unit_nchw, uint8_nhwc"),
    };

    private static readonly string[] AllKeys = [LabelsKey, InputSizeKey, InputChannelsKey, InputLayoutKey, NormalizationKey, PipelineSha256Key, VersionKey];

    private static string Shorten(string text) => text.Length <= 80 ? text : text[..80] + "...";
}
