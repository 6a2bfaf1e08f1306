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
using TLDsl.Spec.Registries;

namespace TLDsl.Runtime.Training;

/// <summary>
/// Checkpoint folders (model, optimizer, random state, training state), written to a temporary folder and renamed into
/// place, so a crash never leaves a half-written checkpoint where a resume would find it. <c>last</c> and <c>best</c>
/// are pointer files replaced atomically. A checkpoint's <c>model.dat</c> holds what training changes (the parameters
/// some phase trains, and every buffer); the parameters no phase trains are written once per run, to
/// <c>checkpoints/frozen.dat</c>. A frozen ResNet-18 costs 61 MB once instead of 61 MB per checkpoint.
/// </summary>
public static class Checkpoints
{
    /// <summary>The pointer file naming the latest checkpoint.</summary>
    internal const string LastPointer = "last";
    private const string BestPointer = "best";
    private const string FrozenFile = "frozen.dat";

    /// <summary>The files every whole checkpoint folder holds.</summary>
    internal static readonly string[] Files = ["model.dat", "optimizer.dat", "rng.dat", "state.json"];
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>Writes a checkpoint named after the step and makes it the latest; with <paramref name="average"/>, its
    /// <c>ema.dat</c> too.</summary>
    internal static string Save(RunFolder run, TransferModel model, RunOptimizer optimizer, TrainingState state, WeightAverage? average = null)
    {
        Directory.CreateDirectory(run.Checkpoints);
        string name = string.Create(CultureInfo.InvariantCulture, $"epoch-{state.Epoch:D4}-step-{state.Step:D8}");
        string final = Path.Combine(run.Checkpoints, name);
        if (Directory.Exists(final) && MissingFiles(final).Count > 0)
        {
            // A folder of this name that is not whole (damaged by hand, or left by a run resumed from an earlier
            // checkpoint) is not this checkpoint: set it aside for the next prune and write the checkpoint afresh.
            Directory.Move(final, Path.Combine(run.Checkpoints, $".tmp-stale-{name}-{Guid.NewGuid():N}"));
        }
        if (Directory.Exists(final))
        {
            // The same step: no optimizer step since, so weights, optimizer and random state are what the folder holds
            // (the end of a run re-saves its last epoch's checkpoint as finished). Only the training state is replaced,
            // atomically; deleting and rewriting the folder could leave a half checkpoint behind a crash.
            AtomicFile.WriteAllText(Path.Combine(final, "state.json"), JsonSerializer.Serialize(state, Json));
            AtomicFile.Write(Path.Combine(run.Checkpoints, LastPointer), System.Text.Encoding.UTF8.GetBytes(name));
            return name;
        }
        string temp = Path.Combine(run.Checkpoints, $".tmp-{name}-{Guid.NewGuid():N}");
        var frozen = FrozenParameters(model, optimizer);
        SaveFrozen(run, model, frozen);
        Directory.CreateDirectory(temp);
        model.save(Path.Combine(temp, "model.dat"), skip: frozen);
        average?.Save(Path.Combine(temp, WeightAverage.FileName));
        OptimizerStateFile.Write(Path.Combine(temp, "optimizer.dat"), optimizer);
        using (var rng = get_rng_state())
        {
            rng.save(Path.Combine(temp, "rng.dat"));
        }
        File.WriteAllText(Path.Combine(temp, "state.json"), JsonSerializer.Serialize(state, Json));
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
    /// <exception cref="CheckpointException">state.json is empty or not valid JSON.</exception>
    public static TrainingState ReadState(string checkpoint)
    {
        string path = Path.Combine(checkpoint, "state.json");
        try
        {
            return JsonSerializer.Deserialize<TrainingState>(File.ReadAllText(path))
                ?? throw new CheckpointException($"{path}: empty training state.");
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"{path}: not a training state ({e.Message}); the checkpoint is damaged.", e);
        }
    }

    /// <summary>Loads a checkpoint's weights, with the run's frozen ones, into <paramref name="model"/> (strictly:
    /// every key, every shape). A run that averages its weights (<c>train.ema</c>) is loaded with the average.</summary>
    /// <exception cref="CheckpointException">The checkpoint needs the run's frozen.dat, which is missing.</exception>
    /// <exception cref="Weights.WeightsLoadException">A file is unreadable, or a key or shape does not fit.</exception>
    public static void LoadModel(string checkpoint, TransferModel model) => LoadModel(checkpoint, model, averaged: true);

    /// <summary>Loads a checkpoint's weights; <paramref name="averaged"/> false loads the trained weights themselves
    /// (what a resume continues from) even where the checkpoint holds an average.</summary>
    internal static void LoadModel(string checkpoint, TransferModel model, bool averaged)
    {
        ArgumentNullException.ThrowIfNull(model);
        var state = ReadWeights(checkpoint, model.state_dict().Keys, averaged);
        try
        {
            Weights.StateDictLoader.Load(model, state, ModelFile(checkpoint), allowMissing: _ => false);
        }
        finally
        {
            Weights.ReadBuffers.Release(state);
        }
    }

    /// <summary>Every weight of a checkpoint: its model.dat (with its ema.dat's averages in place of the trained
    /// weights, when the run averages them) and, when it holds only what trains, the run's frozen.dat. The caller owns
    /// the tensors.</summary>
    /// <exception cref="CheckpointException">The checkpoint needs the run's frozen.dat, which is missing.</exception>
    public static Dictionary<string, Tensor> ReadWeights(string checkpoint) => ReadWeights(checkpoint, expected: null, averaged: true);

    private static Dictionary<string, Tensor> ReadWeights(string checkpoint, IEnumerable<string>? expected, bool averaged)
    {
        var state = Weights.StateDictFile.Read(ModelFile(checkpoint));
        string ema = Path.Combine(checkpoint, WeightAverage.FileName);
        if (averaged && File.Exists(ema))
        {
            Overlay(state, ema);
        }
        string frozen = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(checkpoint))!, FrozenFile);
        if (!File.Exists(frozen))
        {
            if (expected?.Count(k => !state.ContainsKey(k)) is > 0 and var missing)
            {
                Weights.ReadBuffers.Release(state);
                throw new CheckpointException($"{checkpoint}: holds the trained weights only ({state.Count} entries, {missing} missing); the frozen ones are in the run's checkpoints/{FrozenFile}, which is not at {frozen}. Keep a checkpoint inside its run folder.");
            }
            return state;
        }
        Dictionary<string, Tensor> shared;
        try
        {
            shared = Weights.StateDictFile.Read(frozen);
        }
        catch
        {
            Weights.ReadBuffers.Release(state);
            throw;
        }
        foreach (var (key, tensor) in shared)
        {
            if (!state.TryAdd(key, tensor))
            {
                tensor.Dispose(); // the checkpoint's own copy wins
            }
        }
        return state;
    }

    /// <summary>A checkpoint's weights file: TLDsl's <c>model.dat</c>, or the <c>model.safetensors</c> (every weight) that a
    /// program exported for torchrun writes; either is read by the strict reader of its format.</summary>
    internal static string ModelFile(string checkpoint)
    {
        string dat = Path.Combine(checkpoint, "model.dat");
        string safetensors = Path.Combine(checkpoint, "model.safetensors");
        return !File.Exists(dat) && File.Exists(safetensors) ? safetensors : dat;
    }

    /// <summary>Replaces entries of <paramref name="state"/> with those of the file at <paramref name="path"/>.</summary>
    private static void Overlay(Dictionary<string, Tensor> state, string path)
    {
        Dictionary<string, Tensor> overlay;
        try
        {
            overlay = Weights.StateDictFile.Read(path);
        }
        catch
        {
            Weights.ReadBuffers.Release(state);
            throw;
        }
        foreach (var (key, tensor) in overlay)
        {
            if (state.Remove(key, out var replaced))
            {
                replaced.Dispose();
            }
            state[key] = tensor;
        }
    }

    /// <summary>Parameters no phase of the run trains (the optimizer holds every one that some phase does).</summary>
    private static List<string> FrozenParameters(TransferModel model, RunOptimizer optimizer)
    {
        var trained = new HashSet<string>(optimizer.Names, StringComparer.Ordinal);
        return model.named_parameters().Select(p => p.name).Where(n => !trained.Contains(n)).ToList();
    }

    /// <summary>Writes the never-trained parameters once per run (they cannot change while it lasts).</summary>
    private static void SaveFrozen(RunFolder run, TransferModel model, List<string> frozen)
    {
        string path = Path.Combine(run.Checkpoints, FrozenFile);
        if (frozen.Count == 0 || File.Exists(path))
        {
            return;
        }
        var keep = new HashSet<string>(frozen, StringComparer.Ordinal);
        var entries = model.state_dict().Where(e => keep.Contains(e.Key)).ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
        AtomicFile.Write(path, stream =>
        {
            using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
            TorchSharp.torch.nn.Module.save_state_dict(writer, entries);
        });
    }

    /// <summary>Restores optimizer and random state for a resume.</summary>
    /// <exception cref="CheckpointException">The optimizer state does not fit the pipeline.</exception>
    internal static void LoadTrainingState(string checkpoint, RunOptimizer optimizer)
    {
        OptimizerStateFile.Read(Path.Combine(checkpoint, "optimizer.dat"), optimizer);
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
                // Renamed out of sight first (atomic): a kill during the delete leaves a .tmp folder, which the next
                // prune removes, never a checkpoint with files missing.
                string doomed = Path.Combine(run.Checkpoints, $".tmp-pruned-{Path.GetFileName(dir)}-{Guid.NewGuid():N}");
                Directory.Move(dir, doomed);
                Directory.Delete(doomed, recursive: true);
            }
        }
    }

    /// <summary>The files of <see cref="Files"/> that <paramref name="checkpoint"/> lacks.</summary>
    internal static List<string> MissingFiles(string checkpoint) =>
        Files.Where(f => !File.Exists(Path.Combine(checkpoint, f))).ToList();

    /// <summary>True when <paramref name="name"/> can only name a folder directly inside the checkpoints folder, and not a
    /// temporary one: a pointer holding <c>../../x</c> or an absolute path must not lead outside the run.</summary>
    internal static bool IsCheckpointName(string name) =>
        name.Length > 0 && !name.StartsWith('.') && name.IndexOfAny(['/', '\\', ':']) < 0 && !Path.IsPathRooted(name);

    private static string? Pointer(RunFolder run, string pointer)
    {
        string file = Path.Combine(run.Checkpoints, pointer);
        if (!File.Exists(file))
        {
            return null;
        }
        string name = File.ReadAllText(file).Trim();
        if (!IsCheckpointName(name))
        {
            return null;
        }
        string dir = Path.Combine(run.Checkpoints, name);
        return Directory.Exists(dir) ? dir : null;
    }
}
