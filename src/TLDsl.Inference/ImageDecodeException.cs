using System;

namespace TLDsl.Inference;

/// <summary>An image file is missing, unreadable, not a decodable image, or over the size limit; the message names it.</summary>
public sealed class ImageDecodeException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ImageDecodeException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public ImageDecodeException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public ImageDecodeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
