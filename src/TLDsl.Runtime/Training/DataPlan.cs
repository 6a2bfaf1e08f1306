using System;
using TLDsl.Runtime.Data;

namespace TLDsl.Runtime.Training;

/// <summary>The samples a run trains and validates on, and how they become tensors.</summary>
/// <param name="Train">The training source.</param>
/// <param name="TrainIndices">The training samples of <paramref name="Train"/>.</param>
/// <param name="Valid">The validation source (often the training source, split).</param>
/// <param name="ValidIndices">The validation samples of <paramref name="Valid"/>.</param>
/// <param name="Preprocessor">Decoding, resizing, augmentation and normalisation.</param>
public sealed record DataPlan(IImageSource Train, int[] TrainIndices, IImageSource Valid, int[] ValidIndices, ImagePreprocessor Preprocessor)
{
    /// <summary>The test source, if any.</summary>
    public IImageSource? Test { get; init; }

    /// <summary>The test samples.</summary>
    public int[] TestIndices { get; init; } = [];
}

/// <summary>Training produced a loss that is not a number; the message says where, and which checkpoint is the last good one.</summary>
public sealed class TrainingDivergedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TrainingDivergedException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public TrainingDivergedException() { }

    /// <summary>Creates the exception.</summary>
    public TrainingDivergedException(string message, Exception inner) : base(message, inner) { }
}
