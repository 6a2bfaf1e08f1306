using System;
using System.Globalization;
using System.IO;
using TLDsl.Runtime.Onnx.Proto;

namespace TLDsl.Runtime.Onnx;

/// <summary>
/// External tensor data (data_location = EXTERNAL): the referenced file must be a relative path that stays inside the
/// model's folder — no rooted paths, no "..", no symbolic link leading out — and the byte range must lie inside it.
/// </summary>
internal static class OnnxExternalData
{
    internal readonly record struct Reference(string Location, long Offset, long? Length);

    public static Reference Describe(TensorProto tensor, string filePath, string what)
    {
        string? location = null;
        long offset = 0;
        long? length = null;
        foreach (var entry in tensor.ExternalData)
        {
            switch (entry.Key)
            {
                case "location":
                    location = entry.Value;
                    break;
                case "offset":
                    offset = ParseNonNegative(entry.Value, "offset", filePath, what);
                    break;
                case "length":
                    length = ParseNonNegative(entry.Value, "length", filePath, what);
                    break;
                default:
                    break; // "checksum" and future keys are informational.
            }
        }

        if (string.IsNullOrEmpty(location))
        {
            throw new OnnxFormatException(filePath, $"{what} has external data without a 'location'");
        }

        return new Reference(location, offset, length);
    }

    private static long ParseNonNegative(string text, string key, string filePath, string what)
    {
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            throw new OnnxFormatException(filePath, $"{what} has an external-data {key} '{text}' that is not a non-negative integer");
        }

        return value;
    }

    /// <summary>The full path of <paramref name="location"/>, which must stay inside the model file's folder.</summary>
    public static string ResolvePath(string location, string modelPath, string what)
    {
        var modelDirectory = Path.GetFullPath(Path.GetDirectoryName(modelPath) ?? ".");
        string Reject(string why) => throw new OnnxFormatException(modelPath,
            $"{what} refers to external data at '{location}', which is rejected: {why}; external data must be a " +
            "relative path inside the model's folder");

        if (location.Contains('\0', StringComparison.Ordinal))
        {
            Reject("the path contains a NUL character");
        }

        var normalized = location.Replace('\\', '/');
        if (normalized.StartsWith('/') || Path.IsPathRooted(location) || (normalized.Length >= 2 && normalized[1] == ':'))
        {
            Reject("the path is absolute");
        }

        foreach (var segment in normalized.Split('/'))
        {
            if (segment == "..")
            {
                Reject("the path climbs out with '..'");
            }
        }

        var full = Path.GetFullPath(Path.Combine(modelDirectory, normalized));
        if (!IsInside(full, modelDirectory))
        {
            Reject("the path leads outside the model's folder");
        }

        // A symbolic link anywhere below the model's folder could still lead out of it.
        var current = modelDirectory;
        foreach (var segment in Path.GetRelativePath(modelDirectory, full).Split(Path.DirectorySeparatorChar))
        {
            current = Path.Combine(current, segment);
            FileSystemInfo info = Directory.Exists(current) ? new DirectoryInfo(current) : new FileInfo(current);
            if (info.Exists && info.LinkTarget is not null)
            {
                var target = info.ResolveLinkTarget(returnFinalTarget: true);
                if (target is null || !IsInside(Path.GetFullPath(target.FullName), modelDirectory))
                {
                    Reject("a symbolic link in the path leads outside the model's folder");
                }
            }
        }

        return full;
    }

    private static bool IsInside(string path, string directory)
    {
        var comparison = OperatingSystem.IsWindows() || OperatingSystem.IsMacOS()
            ? StringComparison.OrdinalIgnoreCase
            : StringComparison.Ordinal;
        var prefix = directory.EndsWith(Path.DirectorySeparatorChar) ? directory : directory + Path.DirectorySeparatorChar;
        return path.StartsWith(prefix, comparison);
    }

    /// <summary>Reads the external bytes of <paramref name="tensor"/>: exactly <paramref name="expectedBytes"/> bytes.</summary>
    public static byte[] ReadBytes(TensorProto tensor, string modelPath, long expectedBytes, string what)
    {
        var reference = Describe(tensor, modelPath, what);
        var path = ResolvePath(reference.Location, modelPath, what);
        if (reference.Length is long declared && declared != expectedBytes)
        {
            throw new OnnxFormatException(modelPath, string.Create(CultureInfo.InvariantCulture,
                $"{what} needs {expectedBytes} bytes but its external data length is {declared}"));
        }

        if (expectedBytes > Array.MaxLength)
        {
            throw new OnnxFormatException(modelPath, string.Create(CultureInfo.InvariantCulture,
                $"{what} holds {expectedBytes} bytes of external data, more than one array can hold"));
        }

        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new OnnxFormatException(modelPath, $"{what} refers to external data file '{reference.Location}', which does not exist");
        }

        if (reference.Offset > info.Length || expectedBytes > info.Length - reference.Offset)
        {
            throw new OnnxFormatException(modelPath, string.Create(CultureInfo.InvariantCulture,
                $"{what} reads bytes {reference.Offset}..{reference.Offset + expectedBytes} of '{reference.Location}', " +
                $"which has only {info.Length} bytes"));
        }

        var bytes = new byte[expectedBytes];
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        stream.Seek(reference.Offset, SeekOrigin.Begin);
        stream.ReadExactly(bytes);
        return bytes;
    }
}
