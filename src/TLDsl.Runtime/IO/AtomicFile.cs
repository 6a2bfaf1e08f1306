using System;
using System.IO;

namespace TLDsl.Runtime.IO;

/// <summary>Whole-file writes that readers never see half done, even with several processes racing.</summary>
internal static class AtomicFile
{
    /// <summary>True when <paramref name="path"/> exists with exactly <paramref name="content"/>.</summary>
    public static bool HasContent(string path, byte[] content)
    {
        if (!File.Exists(path))
        {
            return false;
        }
        var info = new FileInfo(path);
        return info.Length == content.Length && File.ReadAllBytes(path).AsSpan().SequenceEqual(content);
    }

    /// <summary>UTF-8 text (no BOM), written atomically.</summary>
    public static void WriteAllText(string path, string content) =>
        Write(path, new System.Text.UTF8Encoding(false).GetBytes(content));

    /// <summary>Same as <see cref="Write(string, byte[])"/>.</summary>
    public static void WriteAllBytes(string path, byte[] content) => Write(path, content);

    /// <summary>
    /// Writes a uniquely named temporary file beside <paramref name="path"/> (creating the folder), flushes it to disk
    /// and renames it over the target. rename(2) is atomic, so a racing process sees either no file or a whole one.
    /// </summary>
    public static void Write(string path, byte[] content) => Write(path, stream => stream.Write(content));

    /// <summary>As <see cref="Write(string, byte[])"/>, with the content streamed by <paramref name="write"/> (large files
    /// need no copy in memory).</summary>
    public static void Write(string path, Action<Stream> write)
    {
        string folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(folder);
        string temp = Path.Combine(folder, $".{Path.GetFileName(path)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }
}
