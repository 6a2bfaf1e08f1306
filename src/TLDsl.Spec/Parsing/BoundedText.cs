using System.IO;
using System.Text;

namespace TLDsl.Spec.Parsing;

/// <summary>
/// Reads text files the language reads (pipelines, layer listings) without reading past their size limit: at most
/// the limit plus one character is read, so a 500 MB file, <c>/dev/zero</c> or an endless pipe costs a few megabytes
/// and a clear "too large" diagnostic from the parser instead of memory until the process is killed.
/// </summary>
public static class BoundedText
{
    /// <summary>The most characters a pipeline file may have (TLD0002).</summary>
    public const int MaxPipelineCharacters = Yaml.SafeYamlReader.MaxCharacters;

    /// <summary>
    /// The text of a pipeline file, or its first <see cref="MaxPipelineCharacters"/> + 1 characters when it is longer:
    /// <see cref="PipelineParser.Parse(string, string, PipelineParseOptions?)"/> then reports TLD0002 naming the file.
    /// </summary>
    /// <param name="path">The file (regular or not: a device or pipe is read only up to the limit).</param>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static string ReadPipeline(string path) => Read(path, MaxPipelineCharacters);

    /// <summary>
    /// The file's text (UTF-8, or the encoding its byte-order mark names), read up to <paramref name="maxCharacters"/> + 1
    /// characters: a result longer than <paramref name="maxCharacters"/> means the file is too large.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="maxCharacters">The caller's limit.</param>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static string Read(string path, int maxCharacters)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 4096, FileOptions.SequentialScan);
        using var reader = new StreamReader(stream, new UTF8Encoding(false), detectEncodingFromByteOrderMarks: true);
        var buffer = new char[System.Math.Min(maxCharacters + 1, 64 * 1024)];
        var text = new StringBuilder();
        while (text.Length <= maxCharacters)
        {
            var read = reader.Read(buffer, 0, System.Math.Min(buffer.Length, maxCharacters + 1 - text.Length));
            if (read == 0)
            {
                break;
            }

            text.Append(buffer, 0, read);
        }

        return text.ToString();
    }
}
