using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using TLDsl.Runtime.Native;
using TLDsl.Runtime.Surgery;
using static TorchSharp.torch;
using TLDsl.Runtime.IO;

namespace TLDsl.Runtime.Training;

/// <summary>
/// Checkpoint folders (model, optimizer, random state, training state), written to a temporary folder and renamed into
/// place, so a crash never leaves a half-written checkpoint where a resume would find it. <c>last</c> and <c>best</c>
/// are pointer files replaced atomically.
/// </summary>
public static class Checkpoints
{
    private const string LastPointer = "last";
    private const string BestPointer = "best";
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>Writes a checkpoint named after the step and makes it the latest.</summary>
    internal static string Save(RunFolder run, TransferModel model, RunOptimizer optimizer, TrainingState state)
    {
        Directory.CreateDirectory(run.Checkpoints);
        string name = string.Create(CultureInfo.InvariantCulture, $"epoch-{state.Epoch:D4}-step-{state.Step:D8}");
        string final = Path.Combine(run.Checkpoints, name);
        string temp = Path.Combine(run.Checkpoints, $".tmp-{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        model.save(Path.Combine(temp, "model.dat"));
        optimizer.Optimizer.save_state_dict(Path.Combine(temp, "optimizer.dat"));
        using (var rng = get_rng_state())
        {
            rng.save(Path.Combine(temp, "rng.dat"));
        }
        File.WriteAllText(Path.Combine(temp, "state.json"), JsonSerializer.Serialize(state, Json));
        if (Directory.Exists(final))
        {
            Directory.Delete(final, recursive: true);
        }
        Directory.Move(temp, final);
        AtomicFile.Write(Path.Combine(run.Checkpoints, LastPointer), System.Text.Encoding.UTF8.GetBytes(name));
        return name;
    }

    /// <summary>Marks <paramref name="name"/> as the best checkpoint.</summary>
    internal static void MarkBest(RunFolder run, string name) =>
        AtomicFile.Write(Path.Combine(run.Checkpoints, BestPointer), System.Text.Encoding.UTF8.GetBytes(name));

    /// <summary>The latest checkpoint's folder, or null when the run has none.</summary>
    public static string? Latest(RunFolder run) => Pointer(run, LastPointer);

    /// <summary>The best checkpoint's folder (falls back to the latest).</summary>
    public static string? Best(RunFolder run) => Pointer(run, BestPointer) ?? Latest(run);

    /// <summary>Reads the training state of a checkpoint folder.</summary>
    public static TrainingState ReadState(string checkpoint) =>
        JsonSerializer.Deserialize<TrainingState>(File.ReadAllText(Path.Combine(checkpoint, "state.json")))
        ?? throw new InvalidDataException($"{checkpoint}: empty training state.");

    /// <summary>Loads a checkpoint's weights into <paramref name="model"/> (strictly: every key, every shape).</summary>
    public static void LoadModel(string checkpoint, TransferModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var state = Weights.StateDictFile.Read(Path.Combine(checkpoint, "model.dat"));
        try
        {
            Weights.StateDictLoader.Load(model, state, Path.Combine(checkpoint, "model.dat"), allowMissing: _ => false);
        }
        finally
        {
            Weights.ReadBuffers.Release(state);
        }
    }

    /// <summary>Restores optimizer and random state for a resume.</summary>
    internal static void LoadTrainingState(string checkpoint, RunOptimizer optimizer)
    {
        optimizer.Optimizer.load_state_dict(Path.Combine(checkpoint, "optimizer.dat"));
        using var rng = Tensor.load(Path.Combine(checkpoint, "rng.dat"));
        set_rng_state(rng);
    }

    /// <summary>Deletes checkpoints the policy does not keep (never the latest or the best), and temporary folders
    /// a killed process left behind.</summary>
    internal static void Prune(RunFolder run, CheckpointKeep keep)
    {
        foreach (var stale in Directory.GetDirectories(run.Checkpoints, ".tmp-*"))
        {
            Directory.Delete(stale, recursive: true);
        }
        if (keep == CheckpointKeep.All)
        {
            return;
        }
        var protect = new HashSet<string?>(StringComparer.Ordinal) { Latest(run), Pointer(run, BestPointer) };
        foreach (var dir in Directory.GetDirectories(run.Checkpoints).Where(d => !Path.GetFileName(d).StartsWith('.')))
        {
            if (!protect.Contains(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }

    private static string? Pointer(RunFolder run, string pointer)
    {
        string file = Path.Combine(run.Checkpoints, pointer);
        if (!File.Exists(file))
        {
            return null;
        }
        string dir = Path.Combine(run.Checkpoints, File.ReadAllText(file).Trim());
        return Directory.Exists(dir) ? dir : null;
    }
}
