using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using TLDsl.Runtime.IO;
using TLDsl.Runtime.Surgery;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Training;

/// <summary>
/// The exponential moving average of a model's weights (<see cref="EmaPlan"/>), over the entries a checkpoint's
/// <c>model.dat</c> holds: parameters some phase trains, and every buffer (BatchNorm statistics are averaged as timm
/// does; integer counters are copied). Parameters no phase trains never change, so their average is themselves.
/// Updated with <c>lerp_</c>, which leaves an unchanged weight bit-identical; saved as the checkpoint's <c>ema.dat</c>.
/// </summary>
internal sealed class WeightAverage : IDisposable
{
    /// <summary>The file of a checkpoint that holds the average.</summary>
    public const string FileName = "ema.dat";

    private readonly Dictionary<string, Tensor> _average;
    private readonly EmaPlan _plan;

    private WeightAverage(Dictionary<string, Tensor> average, EmaPlan plan)
    {
        _average = average;
        _plan = plan;
    }

    /// <summary>Starts the average at the model's current weights.</summary>
    /// <param name="model">The model.</param>
    /// <param name="plan">Decay and warm-up.</param>
    /// <param name="trained">Parameters some phase trains (the others are left out).</param>
    public static WeightAverage Start(TransferModel model, EmaPlan plan, IReadOnlySet<string> trained)
    {
        var parameters = model.named_parameters().Select(p => p.name).ToHashSet(StringComparer.Ordinal);
        using var noGrad = no_grad();
        var average = model.state_dict()
            .Where(e => !parameters.Contains(e.Key) || trained.Contains(e.Key))
            .ToDictionary(e => e.Key, e => e.Value.detach().clone(), StringComparer.Ordinal);
        return new WeightAverage(average, plan);
    }

    /// <summary>The averaged entries' names.</summary>
    public IReadOnlyCollection<string> Names => _average.Keys;

    /// <summary>Moves the average towards the model's weights after optimizer step <paramref name="step"/> (0 for
    /// the first step).</summary>
    public void Update(TransferModel model, long step)
    {
        var weight = 1 - _plan.DecayAt(step);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var live = model.state_dict();
        foreach (var (name, average) in _average)
        {
            var current = live[name];
            if (average.is_floating_point())
            {
                average.lerp_(current, weight);
            }
            else
            {
                average.copy_(current);
            }
        }
    }

    /// <summary>Puts the average into the model until the result is disposed, which puts the model's own weights
    /// back (exact copies both ways).</summary>
    public IDisposable Apply(TransferModel model)
    {
        Swap(model);
        return new Restore(this, model);
    }

    private void Swap(TransferModel model)
    {
        using var noGrad = no_grad();
        var live = model.state_dict();
        foreach (var (name, average) in _average)
        {
            using var scope = NewDisposeScope();
            var current = live[name];
            var held = current.clone();
            current.copy_(average);
            average.copy_(held);
        }
    }

    /// <summary>Writes the average to <paramref name="path"/> (atomically).</summary>
    public void Save(string path)
    {
        AtomicFile.Write(path, stream =>
        {
            using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
            TorchSharp.torch.nn.Module.save_state_dict(writer, _average);
        });
    }

    /// <summary>Reads the average a checkpoint saved.</summary>
    /// <exception cref="CheckpointException">The checkpoint has no average, or one of other entries or shapes.</exception>
    public void Load(string checkpoint)
    {
        var path = Path.Combine(checkpoint, FileName);
        if (!File.Exists(path))
        {
            throw new CheckpointException($"{checkpoint}: has no {FileName}, but the pipeline averages the weights (train.ema); resume from a checkpoint of this run.");
        }

        var saved = Weights.StateDictFile.Read(path);
        try
        {
            var missing = _average.Keys.Where(k => !saved.TryGetValue(k, out var t) || !t.shape.SequenceEqual(_average[k].shape)).ToList();
            if (missing.Count > 0 || saved.Count != _average.Count)
            {
                throw new CheckpointException($"{path}: holds {saved.Count} averaged weights, the model {_average.Count} ({missing.Count} missing or of another shape, e.g. {missing.FirstOrDefault() ?? "none"}); the checkpoint is not of this pipeline.");
            }

            using var noGrad = no_grad();
            foreach (var (name, average) in _average)
            {
                average.copy_(saved[name]);
            }
        }
        finally
        {
            Weights.ReadBuffers.Release(saved);
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var tensor in _average.Values)
        {
            tensor.Dispose();
        }

        _average.Clear();
    }

    private sealed class Restore(WeightAverage average, TransferModel model) : IDisposable
    {
        private bool _done;

        public void Dispose()
        {
            if (!_done)
            {
                _done = true;
                average.Swap(model);
            }
        }
    }
}
