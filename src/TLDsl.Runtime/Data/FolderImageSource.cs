using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace TLDsl.Runtime.Data;

/// <summary>An image folder: one subfolder per class, named like the label, holding <c>.png</c>, <c>.jpg</c>,
/// <c>.jpeg</c> or <c>.bmp</c> files (any letter case; nested folders are searched too). Files are sorted ordinally by
/// their path, so the order is the same on every machine. Every subfolder is a class: one that cannot be (a name
/// starting with '.', or one that is no label) is an error, never skipped. Inside a class folder, files and folders
/// whose name starts with '.' are skipped, and files of other types are ignored.</summary>
public sealed class FolderImageSource : IImageSource
{
    /// <summary>The file extensions read, lower case.</summary>
    public static readonly IReadOnlyList<string> Extensions = [".png", ".jpg", ".jpeg", ".bmp"];

    private readonly string[] _files;
    private readonly int[] _labelIds;
    private readonly string _root;

    /// <summary>Scans the folder.</summary>
    /// <param name="root">The folder holding one subfolder per class.</param>
    /// <param name="labels">The pipeline's labels, in order; null takes the subfolder names, sorted ordinally.</param>
    /// <exception cref="DataException">The root is missing; a class folder is not one of the labels; a label has no
    /// folder or its folder holds no images; with labels from the folders, a folder name cannot be a label or there are
    /// fewer than two.</exception>
    public FolderImageSource(string root, IReadOnlyList<string>? labels)
    {
        ArgumentNullException.ThrowIfNull(root);
        _root = root;
        if (!Directory.Exists(root))
        {
            throw new DataException(
                File.Exists(root)
                    ? $"Image folder '{root}' is a file; a folder with one subfolder per class is expected."
                    : $"Image folder '{root}' does not exist.");
        }

        var folders = Directory.EnumerateDirectories(root)
            .Select(Path.GetFileName)
            .OfType<string>()
            .Order(StringComparer.Ordinal)
            .ToList();
        if (folders.Count == 0)
        {
            throw new DataException(
                $"Image folder '{root}' has no subfolders; it must hold one subfolder per class (e.g. '{Path.Combine(root, "cat")}').");
        }

        if (labels is null)
        {
            Labels = ClassNames.FromFolders(root, folders);
        }
        else
        {
            Labels = SourceChecks.CheckLabels(labels, root);
            var listed = new HashSet<string>(Labels, StringComparer.Ordinal);
            var unlisted = folders.Where(f => !listed.Contains(f)).ToList();
            if (unlisted.Count > 0)
            {
                var hints = unlisted
                    .Select(f => (Folder: f, Hint: Labels.FirstOrDefault(l => string.Equals(l, f, StringComparison.OrdinalIgnoreCase))))
                    .Select(x => $"'{Path.Combine(root, x.Folder)}'" + (x.Hint is null ? string.Empty : $" (did you mean '{x.Hint}'?)"));
                throw new DataException(
                    $"Image folder '{root}' has labels in the data that the pipeline does not list: {string.Join(", ", hints)}. " +
                    $"Allowed labels: {SourceChecks.List(Labels)}.");
            }
        }

        var files = new List<(string Path, int Id)>();
        var present = new HashSet<string>(folders, StringComparer.Ordinal);
        for (var id = 0; id < Labels.Count; id++)
        {
            var folder = Path.Combine(root, Labels[id]);
            if (!present.Contains(Labels[id]))
            {
                throw new DataException(
                    $"Image folder '{root}' has no folder for label '{Labels[id]}' (expected '{folder}'). " +
                    "Every label the pipeline lists needs a folder with at least one image.");
            }

            var images = ImagesUnder(folder);
            if (images.Count == 0)
            {
                throw new DataException(
                    $"Class folder '{folder}' holds no images. Allowed file types: {SourceChecks.List(Extensions)} (any letter case).");
            }

            files.AddRange(images.Select(f => (f, id)));
        }

        // One ordinal order over all files, whatever the label order: the same folder gives the same indices.
        files.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        _files = [.. files.Select(f => f.Path)];
        _labelIds = [.. files.Select(f => f.Id)];
    }

    /// <inheritdoc/>
    public int Count => _files.Length;

    /// <inheritdoc/>
    public IReadOnlyList<string> Labels { get; }

    /// <inheritdoc/>
    public int LabelOf(int index)
    {
        SourceChecks.Index(index, Count);
        return _labelIds[index];
    }

    /// <inheritdoc/>
    public string NameOf(int index)
    {
        SourceChecks.Index(index, Count);
        return _files[index];
    }

    /// <inheritdoc/>
    public DecodedImage Decode(int index) => ImageDecoder.Decode(NameOf(index));

    /// <inheritdoc/>
    public override string ToString() => $"image folder '{_root}'";

    /// <summary>The image files under <paramref name="folder"/> and its subfolders, in ordinal order; files and folders
    /// whose name starts with '.' are skipped.</summary>
    public static IReadOnlyList<string> ImagesUnder(string folder) =>
        Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Where(IsImage)
            .Where(f => !Path.GetRelativePath(folder, f).Split(Path.DirectorySeparatorChar).Any(p => p.StartsWith('.')))
            .Order(StringComparer.Ordinal)
            .ToList();

    /// <summary>Whether a file name has one of the <see cref="Extensions"/>, in any letter case.</summary>
    /// <param name="path">A file name or path.</param>
    public static bool IsImage(string path)
    {
        var ext = Path.GetExtension(path);
        return Extensions.Any(e => string.Equals(e, ext, StringComparison.OrdinalIgnoreCase));
    }
}
