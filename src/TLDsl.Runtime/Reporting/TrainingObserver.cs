using System;

namespace TLDsl.Runtime.Reporting;

/// <summary>Receives progress events from the trainer, on the training thread. Implementations must be quick.</summary>
public interface ITrainingObserver
{
    /// <summary>A phase begins.</summary>
    /// <param name="phase">The phase name.</param>
    /// <param name="phaseIndex">0-based index of the phase.</param>
    /// <param name="phaseCount">Number of phases in the run.</param>
    /// <param name="epochs">Epochs this phase will run (at most; early stopping may end it sooner).</param>
    /// <param name="cachedFeatures">Whether the frozen prefix's features are computed once and reused.</param>
    void PhaseStarted(string phase, int phaseIndex, int phaseCount, int epochs, bool cachedFeatures);

    /// <summary>Progress of computing cached features: <paramref name="done"/> of <paramref name="total"/> samples.</summary>
    void FeatureCaching(int done, int total);

    /// <summary>A training batch finished.</summary>
    /// <param name="epoch">1-based epoch number across the run, as in <see cref="EpochRecord.Epoch"/>.</param>
    /// <param name="batch">1-based number of the batch just completed (equal to <paramref name="batchesPerEpoch"/>
    /// for the last one).</param>
    /// <param name="batchesPerEpoch">Batches in this epoch.</param>
    /// <param name="loss">Mean training loss so far in this epoch.</param>
    /// <param name="learningRate">Current learning rate (of the head's group).</param>
    void BatchCompleted(int epoch, int batch, int batchesPerEpoch, double loss, double learningRate);

    /// <summary>An epoch finished, validation included; the same record was appended to <c>metrics.csv</c>.</summary>
    void EpochCompleted(EpochRecord record);

    /// <summary>Something worth telling the user: early stopping, checkpoint written, resumed.</summary>
    void Message(string text);

    /// <summary>The run is over (finished, stopped early, interrupted or failed); a live display ends here.</summary>
    void TrainingCompleted()
    {
    }
}

/// <summary>An observer that ignores everything.</summary>
public sealed class NullTrainingObserver : ITrainingObserver
{
    /// <summary>The single instance.</summary>
    public static readonly NullTrainingObserver Instance = new();

    private NullTrainingObserver()
    {
    }

    /// <inheritdoc />
    public void PhaseStarted(string phase, int phaseIndex, int phaseCount, int epochs, bool cachedFeatures)
    {
    }

    /// <inheritdoc />
    public void FeatureCaching(int done, int total)
    {
    }

    /// <inheritdoc />
    public void BatchCompleted(int epoch, int batch, int batchesPerEpoch, double loss, double learningRate)
    {
    }

    /// <inheritdoc />
    public void EpochCompleted(EpochRecord record)
    {
    }

    /// <inheritdoc />
    public void Message(string text)
    {
    }
}
