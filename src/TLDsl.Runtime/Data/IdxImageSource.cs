using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;

namespace TLDsl.Runtime.Data;

/// <summary>MNIST-style IDX files (an <c>idx3-ubyte</c> image file and an <c>idx1-ubyte</c> label file), gzip-compressed
/// or raw (detected by the gzip magic bytes 1F 8B, not by the file name). Both files are held in memory as bytes;
/// images are turned into floats only when decoded.</summary>
public sealed class IdxImageSource : IImageSource
{
    private const int ImagesMagic = 0x00000803;
    private const int LabelsMagic = 0x00000801;

    private readonly byte[] _images;
    private readonly byte[] _labels;
    private readonly int _imageOffset;
    private readonly int _labelOffset;
    private readonly string _imagesName;
    private readonly string _imagesPath;

    // With a class subset: the file items kept, and their label ids in the pipeline; null: every item, ids as in the file.
    private readonly int[]? _items;
    private readonly int[]? _itemLabels;

    /// <summary>Reads and checks both files.</summary>
    /// <param name="imagesPath">The <c>idx3-ubyte</c> file, e.g. <c>train-images-idx3-ubyte.gz</c>.</param>
    /// <param name="labelsPath">The <c>idx1-ubyte</c> file, e.g. <c>train-labels-idx1-ubyte.gz</c>.</param>
    /// <param name="labels">Class names; label id <c>i</c> in the file is <c>labels[i]</c> (without <paramref name="classes"/>).</param>
    /// <param name="classes">A subset of the file's classes: <c>classes[i]</c> is the label value in the file that
    /// becomes <c>labels[i]</c>; items with other values are skipped. Null: the file's values are the label ids.</param>
    /// <exception cref="DataException">A file is missing, has the wrong magic number or is truncated; the files hold
    /// different numbers of items; a label id is not below <c>labels.Count</c>; or <paramref name="classes"/> does not
    /// have one distinct value per label, or lists a value no item has.</exception>
    public IdxImageSource(string imagesPath, string labelsPath, IReadOnlyList<string> labels, IReadOnlyList<int>? classes = null)
    {
        ArgumentNullException.ThrowIfNull(imagesPath);
        ArgumentNullException.ThrowIfNull(labelsPath);
        ArgumentNullException.ThrowIfNull(labels);
        Labels = SourceChecks.CheckLabels(labels, imagesPath);
        _imagesPath = imagesPath;
        _imagesName = Path.GetFileName(imagesPath);

        _images = ReadMaybeGzip(imagesPath);
        var imageCount = Header(_images, imagesPath, ImagesMagic, "idx3-ubyte images (28x28 ubyte, as MNIST)", 16);
        Height = BinaryPrimitives.ReadInt32BigEndian(_images.AsSpan(8));
        Width = BinaryPrimitives.ReadInt32BigEndian(_images.AsSpan(12));
        if (Height <= 0 || Width <= 0)
        {
            throw new DataException($"IDX image file '{imagesPath}' declares images of {Height}x{Width} pixels.");
        }

        _imageOffset = 16;
        var needed = _imageOffset + ((long)imageCount * Height * Width);
        if (_images.LongLength < needed)
        {
            throw new DataException(
                $"IDX image file '{imagesPath}' is truncated: {imageCount} images of {Height}x{Width} need {needed} bytes, the file has {_images.LongLength}.");
        }

        _labels = ReadMaybeGzip(labelsPath);
        var labelCount = Header(_labels, labelsPath, LabelsMagic, "idx1-ubyte labels", 8);
        _labelOffset = 8;
        if (_labels.LongLength < _labelOffset + (long)labelCount)
        {
            throw new DataException(
                $"IDX label file '{labelsPath}' is truncated: {labelCount} labels need {_labelOffset + labelCount} bytes, the file has {_labels.LongLength}.");
        }

        if (imageCount != labelCount)
        {
            throw new DataException(
                $"IDX files do not match: '{imagesPath}' holds {imageCount} images but '{labelsPath}' holds {labelCount} labels.");
        }

        if (imageCount == 0)
        {
            throw new DataException($"IDX image file '{imagesPath}' holds no images.");
        }

        if (classes is not null)
        {
            (_items, _itemLabels) = Subset(_labels.AsSpan(_labelOffset, labelCount), classes, labelsPath);
            Count = _items.Length;
            return;
        }

        Count = imageCount;
        for (var i = 0; i < Count; i++)
        {
            var id = _labels[_labelOffset + i];
            if (id >= Labels.Count)
            {
                throw new DataException(
                    $"IDX label file '{labelsPath}' gives label id {id} to item {i}, but the pipeline lists {Labels.Count} labels " +
                    $"(ids 0 to {Labels.Count - 1}: {SourceChecks.List(Labels)}).");
            }
        }
    }

    /// <inheritdoc/>
    public int Count { get; }

    /// <inheritdoc/>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>Rows of every image.</summary>
    public int Height { get; }

    /// <summary>Columns of every image.</summary>
    public int Width { get; }

    /// <inheritdoc/>
    public int LabelOf(int index)
    {
        SourceChecks.Index(index, Count);
        return _itemLabels is null ? _labels[_labelOffset + index] : _itemLabels[index];
    }

    /// <inheritdoc/>
    public string NameOf(int index)
    {
        SourceChecks.Index(index, Count);
        return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{_imagesName}#{FileItem(index)}");
    }

    /// <inheritdoc/>
    public DecodedImage Decode(int index)
    {
        SourceChecks.Index(index, Count);
        var plane = Height * Width;
        var span = _images.AsSpan(_imageOffset + (FileItem(index) * plane), plane);
        return new DecodedImage(ImageDecoder.ToPlanar(span, 1, plane), 1, Height, Width);
    }

    /// <inheritdoc/>
    public override string ToString() => $"IDX images '{_imagesPath}'";

    /// <summary>The item of the IDX file that source index <paramref name="index"/> reads (they differ with a class subset).</summary>
    internal int FileItem(int index) => _items is null ? index : _items[index];

    /// <summary>The IDX image file.</summary>
    internal string ImagesPath => _imagesPath;

    private (int[] Items, int[] Labels) Subset(ReadOnlySpan<byte> fileLabels, IReadOnlyList<int> classes, string labelsPath)
    {
        if (classes.Count != Labels.Count)
        {
            throw new DataException(
                $"IDX classes [{string.Join(", ", classes)}] for '{labelsPath}' list {classes.Count} values, but the pipeline has {Labels.Count} labels ({SourceChecks.List(Labels)}); give one file label value per label.");
        }

        // File label value (a byte) -> pipeline label id, or -1 for a class that is skipped.
        var map = new int[256];
        Array.Fill(map, -1);
        for (var i = 0; i < classes.Count; i++)
        {
            var value = classes[i];
            if (value is < 0 or > 255 || map[value] >= 0)
            {
                throw new DataException(
                    $"IDX classes [{string.Join(", ", classes)}] for '{labelsPath}': {value} is {(value is < 0 or > 255 ? "not a label value (0 to 255)" : "listed twice")}.");
            }

            map[value] = i;
        }

        var items = new List<int>();
        var labels = new List<int>();
        var perClass = new int[classes.Count];
        for (var i = 0; i < fileLabels.Length; i++)
        {
            var label = map[fileLabels[i]];
            if (label >= 0)
            {
                items.Add(i);
                labels.Add(label);
                perClass[label]++;
            }
        }

        var absent = Array.IndexOf(perClass, 0);
        if (absent >= 0)
        {
            throw new DataException(
                $"IDX label file '{labelsPath}' has no item with label value {classes[absent]} (classes[{absent}], label '{Labels[absent]}').");
        }

        return (items.ToArray(), labels.ToArray());
    }

    private static byte[] ReadMaybeGzip(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataException($"Cannot read IDX file '{path}': {e.Message}", e);
        }

        if (bytes.Length < 2 || bytes[0] != 0x1F || bytes[1] != 0x8B)
        {
            return bytes;
        }

        try
        {
            using var gzip = new GZipStream(new MemoryStream(bytes, writable: false), CompressionMode.Decompress);
            using var output = new MemoryStream(bytes.Length * 4);
            gzip.CopyTo(output);
            return output.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new DataException($"IDX file '{path}' starts like gzip but does not decompress: {e.Message}", e);
        }
    }

    private static int Header(byte[] bytes, string path, int magic, string expected, int headerLength)
    {
        var got = bytes.Length >= 4 ? BinaryPrimitives.ReadInt32BigEndian(bytes) : -1;
        if (bytes.Length >= 4 && got != magic)
        {
            throw new DataException(
                $"IDX file '{path}' has magic number 0x{got:X8}; {expected} start with 0x{magic:X8}. " +
                "Pass the images file as images and the labels file as labels, gzip-compressed (.gz) or raw.");
        }

        if (bytes.Length < headerLength)
        {
            throw new DataException($"IDX file '{path}' is too short ({bytes.Length} bytes) to be {expected}.");
        }

        var count = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4));
        if (count < 0)
        {
            throw new DataException($"IDX file '{path}' declares a negative item count ({count}).");
        }

        return count;
    }
}
