using System;
using System.Globalization;
using System.IO;
using Google.Protobuf;
using TLDsl.Runtime.Onnx.Proto;

namespace TLDsl.Runtime.Onnx;

/// <summary>
/// Reads ONNX model files with Google.Protobuf and checks them before anything is allocated from their contents:
/// the file size, the protobuf encoding, every tensor's dimensions against its data, and every external-data
/// reference against the model's folder.
/// </summary>
public static class OnnxModelFile
{
    /// <summary>Reads and checks the ONNX model at <paramref name="path"/>.</summary>
    /// <param name="path">The .onnx file.</param>
    /// <param name="options">Limits; <see cref="OnnxReadOptions.Default"/> when null.</param>
    /// <returns>The parsed model.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="OnnxFormatException">The file is not a valid ONNX model or breaks a limit; the message names the file.</exception>
    public static OnnxModel Read(string path, OnnxReadOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= OnnxReadOptions.Default;
        var fullPath = Path.GetFullPath(path);
        var info = new FileInfo(fullPath);
        if (!info.Exists)
        {
            throw new FileNotFoundException($"ONNX model file not found: {fullPath}", fullPath);
        }

        if (info.Length > options.MaxFileBytes)
        {
            throw new OnnxFormatException(fullPath, string.Create(CultureInfo.InvariantCulture,
                $"the file is {info.Length} bytes, more than the limit of {options.MaxFileBytes} bytes"));
        }

        byte[] bytes;
        using (var stream = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read))
        {
            // Checked again on the open stream, in case the file was replaced between the two looks.
            if (stream.Length > options.MaxFileBytes)
            {
                throw new OnnxFormatException(fullPath, "the file grew beyond the size limit while being opened");
            }

            bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
        }

        return Parse(bytes, fullPath, options);
    }

    /// <summary>Parses and checks an ONNX model already in memory; <paramref name="sourcePath"/> names it in errors and
    /// anchors external data.</summary>
    /// <param name="bytes">The serialized ModelProto.</param>
    /// <param name="sourcePath">The path the bytes came from (external data is resolved against its folder).</param>
    /// <param name="options">Limits; <see cref="OnnxReadOptions.Default"/> when null.</param>
    public static OnnxModel Parse(byte[] bytes, string sourcePath, OnnxReadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        ArgumentException.ThrowIfNullOrEmpty(sourcePath);
        options ??= OnnxReadOptions.Default;
        var fullPath = Path.GetFullPath(sourcePath);
        if (bytes.Length > options.MaxFileBytes)
        {
            throw new OnnxFormatException(fullPath, string.Create(CultureInfo.InvariantCulture,
                $"the model is {bytes.Length} bytes, more than the limit of {options.MaxFileBytes} bytes"));
        }

        if (bytes.Length == 0)
        {
            throw new OnnxFormatException(fullPath, "the file is empty, not an ONNX model");
        }

        ModelProto proto;
        try
        {
            // Parsing straight from the array lets protobuf size repeated fields from lengths it has checked against the
            // bytes that are really there; unknown fields are dropped rather than copied. Protobuf's recursion limit
            // (100 nested messages) bounds how deeply subgraphs may nest.
            proto = ModelProto.Parser.WithDiscardUnknownFields(true).ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new OnnxFormatException(fullPath,
                $"not a valid ONNX protobuf (truncated or corrupt file): {ex.Message}", ex);
        }

        OnnxModelValidator.Validate(proto, fullPath, options);
        return new OnnxModel(fullPath, proto, options);
    }
}
