using System;
using System.Collections.Generic;

namespace TLDsl.Runtime.Data;

/// <summary>One decoded image: planar CHW float pixels in [0, 1].</summary>
/// <param name="Pixels">Channel-major pixels, <c>Channels * Height * Width</c> values in [0, 1].</param>
/// <param name="Channels">1 (grayscale) or 3 (RGB).</param>
/// <param name="Height">Rows.</param>
/// <param name="Width">Columns.</param>
#pragma warning disable CA1819 // Properties should not return arrays: the pixel buffer is the point of this record.
public sealed record DecodedImage(float[] Pixels, int Channels, int Height, int Width);
#pragma warning restore CA1819

/// <summary>A labelled collection of images that decodes one image at a time, so that only a batch is ever in memory.</summary>
public interface IImageSource
{
    /// <summary>How many images.</summary>
    int Count { get; }

    /// <summary>Class names; the index is the label id (the pipeline's label order).</summary>
    IReadOnlyList<string> Labels { get; }

    /// <summary>The label id of an image, without decoding it.</summary>
    /// <param name="index">0 to <see cref="Count"/> - 1.</param>
    int LabelOf(int index);

    /// <summary>A name for messages: a file path, or <c>train-images-idx3-ubyte.gz#123</c>.</summary>
    /// <param name="index">0 to <see cref="Count"/> - 1.</param>
    string NameOf(int index);

    /// <summary>Decodes one image. Thread-safe.</summary>
    /// <param name="index">0 to <see cref="Count"/> - 1.</param>
    /// <exception cref="DataException">The image is corrupt or unreadable; the message names the file.</exception>
    DecodedImage Decode(int index);
}

/// <summary>A problem with the user's data: the message names the file or folder and says what is allowed.</summary>
public sealed class DataException : Exception
{
    /// <summary>Creates the exception.</summary>
    public DataException()
    {
    }

    /// <summary>Creates the exception with a user-facing message.</summary>
    /// <param name="message">Names the file or folder and what is allowed.</param>
    public DataException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a user-facing message and the underlying cause.</summary>
    /// <param name="message">Names the file or folder and what is allowed.</param>
    /// <param name="innerException">The cause.</param>
    public DataException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>Shared argument checks for the sources.</summary>
internal static class SourceChecks
{
    public static void Index(int index, int count)
    {
        if ((uint)index >= (uint)count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"An index from 0 to {count - 1} is expected.");
        }
    }

    public static string List(IEnumerable<string> labels) => string.Join(", ", labels);

    public static IReadOnlyList<string> CheckLabels(IReadOnlyList<string> labels, string what)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var label in labels)
        {
            if (string.IsNullOrEmpty(label))
            {
                throw new ArgumentException($"The labels for {what} contain an empty name.", nameof(labels));
            }

            if (!seen.Add(label))
            {
                throw new ArgumentException($"The labels for {what} list '{label}' twice.", nameof(labels));
            }
        }

        return [.. labels];
    }
}
