namespace TLDsl.Runtime.Training;

/// <summary>Where a run stands; saved in every checkpoint so a resumed run continues exactly where it stopped.</summary>
public sealed record TrainingState
{
    /// <summary>The phase being trained.</summary>
    public int Phase { get; init; }

    /// <summary>Epochs completed within the phase.</summary>
    public int EpochInPhase { get; init; }

    /// <summary>Epochs completed in the whole run.</summary>
    public int Epoch { get; init; }

    /// <summary>Batches completed in the current (unfinished) epoch; 0 at an epoch boundary.</summary>
    public int BatchInEpoch { get; init; }

    /// <summary>Optimizer steps in the whole run.</summary>
    public long Step { get; init; }

    /// <summary>Optimizer steps within the phase (drives the schedule).</summary>
    public long PhaseStep { get; init; }

    /// <summary>Sum of per-sample training loss in the current epoch so far.</summary>
    public double EpochLossSum { get; init; }

    /// <summary>Correct training predictions in the current epoch so far.</summary>
    public long EpochCorrect { get; init; }

    /// <summary>Training samples seen in the current epoch so far.</summary>
    public long EpochSeen { get; init; }

    /// <summary>Best value of the monitored metric so far.</summary>
    public double? Best { get; init; }

    /// <summary>The validation loss of the best checkpoint's epoch: it breaks a tie on the monitored metric.</summary>
    public double? BestValidLoss { get; init; }

    /// <summary>Epochs since the monitored metric last improved.</summary>
    public int BadEpochs { get; init; }

    /// <summary>The checkpoint that holds the best weights.</summary>
    public string? BestCheckpoint { get; init; }

    /// <summary>True once training is over (all phases run, or stopped early).</summary>
    public bool Finished { get; init; }

    /// <summary>Why training ended, when it has.</summary>
    public string? StopReason { get; init; }
}
