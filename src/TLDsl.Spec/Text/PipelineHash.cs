using System;
using System.Security.Cryptography;
using System.Text;

namespace TLDsl.Spec.Text;

/// <summary>
/// A pipeline's identity: the SHA-256 of its text. The generator compiles it into the assembly and the runtime compares
/// it with the run folder's copy and the file on disk, so all of them call this one function.
/// </summary>
public static class PipelineHash
{
    /// <summary>
    /// Lower-case hex SHA-256 of <paramref name="text"/> as UTF-8, exactly as given: the text as read from the file (the
    /// compiler and the runtime's readers drop a byte-order mark when they decode it), line ends as they are, since the
    /// text compiled in is the text of the file.
    /// </summary>
    /// <param name="text">The pipeline's text.</param>
    public static string Of(string text)
    {
        if (text is null)
        {
            throw new ArgumentNullException(nameof(text));
        }
        byte[] hash;
        using (var sha = SHA256.Create())
        {
            hash = sha.ComputeHash(Encoding.UTF8.GetBytes(text));
        }
        var hex = new StringBuilder(hash.Length * 2);
        foreach (byte b in hash)
        {
            hex.Append(Digits[b >> 4]).Append(Digits[b & 0xF]);
        }
        return hex.ToString();
    }

    private const string Digits = "0123456789abcdef";
}
