using System;

namespace TLDsl.Cli.Commands;

/// <summary>
/// The epochs <c>tldsl new</c> writes, sized to the data so that a small folder gets enough optimizer steps
/// (issue #17: 3 epochs of 48 images at batch 32 were 6 steps, and 60% test accuracy on an easy task).
/// </summary>
/// <param name="Images">Images in the data folder (training and validation split together).</param>
internal sealed record ScaffoldDefaults(int Images)
{
    /// <summary>The validation split written.</summary>
    public const double ValidSplit = 0.2;

    /// <summary>The batch written.</summary>
    public const int Batch = 32;

    /// <summary>Optimizer steps of one epoch over the training split.</summary>
    public int StepsPerEpoch => Math.Max(1, (int)Math.Ceiling(Images * (1 - ValidSplit) / Batch));

    /// <summary>The frozen head phase: about 100 optimizer steps, at least 5 epochs. Its epochs reuse cached features,
    /// so they cost milliseconds each.</summary>
    public int FreezeEpochs => Math.Clamp(Ceiling(100), 5, 100);

    /// <summary>Every layer unfrozen: about 10 steps, 2 to 5 epochs (each runs the whole network forward and backward).</summary>
    public int FineTuneEpochs => Math.Clamp(Ceiling(10), 2, 5);

    /// <summary>From scratch (no pre-trained weights): about 200 steps, 10 to 200 epochs.</summary>
    public int ScratchEpochs => Math.Clamp(Ceiling(200), 10, 200);

    private int Ceiling(int steps) => (int)Math.Ceiling(steps / (double)StepsPerEpoch);
}
