using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;

namespace TLDsl.Runtime.Training;

/// <summary>
/// Which checkpoint a resume continues from. A resume never starts a run over: when <c>checkpoints/last</c> is missing
/// or does not name a whole checkpoint inside the run (it points outside, at a missing folder, or at one with files
/// missing), the resume is refused with the pointer file named, the run's checkpoints listed and the command that
/// resumes from the newest whole one, so nothing is ever trained from step 0 on top of a run's checkpoints.
/// </summary>
internal static class ResumeCheckpoint
{
    /// <summary>The checkpoint folder to resume <paramref name="run"/> from: <paramref name="from"/> when given (a
    /// checkpoint's folder name, or the path of a folder inside the run's checkpoints), else the one <c>last</c> names.</summary>
    /// <exception cref="CheckpointException">The checkpoint is missing, outside the run or not whole.</exception>
    public static string Resolve(RunFolder run, string? from)
    {
        if (from is not null)
        {
            string? name = NameInRun(run, from, Environment.CurrentDirectory);
            if (name is null)
            {
                throw Refused(run, $"'{from}' is not a checkpoint of this run (checkpoints are the folders in {run.Checkpoints})");
            }
            if (Problem(run, name) is { } problem)
            {
                throw Refused(run, $"the checkpoint '{from}' {problem}");
            }
            return Path.Combine(run.Checkpoints, name);
        }
        string pointer = Path.Combine(run.Checkpoints, Checkpoints.LastPointer);
        if (!File.Exists(pointer))
        {
            throw Refused(run, $"{pointer} is missing, so the run's latest checkpoint is unknown");
        }
        string last = File.ReadAllText(pointer).Trim();
        if (Problem(run, last) is { } broken)
        {
            throw Refused(run, $"{pointer} names '{last}', which {broken}");
        }
        return Path.Combine(run.Checkpoints, last);
    }

    /// <summary>The folder name under the run's checkpoints that <paramref name="path"/> (relative to
    /// <paramref name="basePath"/>) stands for, or null when it leads elsewhere.</summary>
    private static string? NameInRun(RunFolder run, string path, string basePath)
    {
        if (Checkpoints.IsCheckpointName(path))
        {
            return path;
        }
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path, basePath));
        var comparison = OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        string? parent = Path.GetDirectoryName(full);
        return parent is not null && string.Equals(parent, Path.TrimEndingDirectorySeparator(run.Checkpoints), comparison)
            ? Path.GetFileName(full)
            : null;
    }

    /// <summary>Why <paramref name="name"/> is not a checkpoint to resume from, or null when it is one.</summary>
    private static string? Problem(RunFolder run, string name)
    {
        if (name.Length == 0)
        {
            return "is empty";
        }
        if (name.StartsWith('.') && Checkpoints.IsCheckpointName(name[1..]))
        {
            return "is a temporary folder (a checkpoint being written or deleted)";
        }
        if (!Checkpoints.IsCheckpointName(name))
        {
            // Pointers hold a folder name; a path is refused even where it leads to a checkpoint of the run.
            return NameInRun(run, name, run.Checkpoints) is null
                ? $"is outside the run's checkpoints folder ({run.Checkpoints})"
                : "is a path, where a checkpoint's folder name belongs";
        }
        string folder = Path.Combine(run.Checkpoints, name);
        if (!Directory.Exists(folder))
        {
            return "does not exist";
        }
        return Damage(folder) is { } damage ? $"is {damage}" : null;
    }

    /// <summary>What is wrong with an existing checkpoint folder ("unfinished: lacks ..."), or null when it is whole.</summary>
    private static string? Damage(string folder)
    {
        var missing = Checkpoints.MissingFiles(folder);
        if (missing.Count > 0)
        {
            return $"unfinished: lacks {string.Join(", ", missing)}";
        }
        try
        {
            Checkpoints.ReadState(folder);
            return null;
        }
        catch (CheckpointException)
        {
            return "damaged: state.json unreadable";
        }
    }

    private static CheckpointException Refused(RunFolder run, string reason)
    {
        var listed = List(run);
        var whole = listed.Where(c => c.Damage is null).ToList();
        string present = listed.Count == 0
            ? "none"
            : string.Join(", ", listed.Select(c => c.Damage is null
                ? string.Create(CultureInfo.InvariantCulture, $"{c.Name} (epoch {c.State!.Epoch}, step {c.State.Step}{(c.State.Finished ? ", finished" : "")})")
                : $"{c.Name} ({c.Damage})"));
        string action = whole.Count == 0
            ? "No whole checkpoint is left to resume from; start a new run with 'tldsl train <pipeline>'."
            : $"Resume from the newest whole one explicitly with: tldsl train --resume \"{run.Path}\" --from {whole[^1].Name}";
        return new CheckpointException($"{run.Path}: cannot resume: {reason}. A resume never starts a run over. Checkpoints in {run.Checkpoints}: {present}. {action}");
    }

    private sealed record Listed(string Name, TrainingState? State, string? Damage);

    /// <summary>The run's checkpoint folders, oldest first (by step, then epoch, then name); temporary ones left out.</summary>
    private static List<Listed> List(RunFolder run)
    {
        if (!Directory.Exists(run.Checkpoints))
        {
            return [];
        }
        return Directory.GetDirectories(run.Checkpoints)
            .Select(Path.GetFileName)
            .OfType<string>()
            .Where(Checkpoints.IsCheckpointName)
            .Select(name =>
            {
                string folder = Path.Combine(run.Checkpoints, name);
                string? damage = Damage(folder);
                return new Listed(name, damage is null ? Checkpoints.ReadState(folder) : null, damage);
            })
            .OrderBy(c => c.State?.Step ?? -1)
            .ThenBy(c => c.State?.Epoch ?? -1)
            .ThenBy(c => c.Name, StringComparer.Ordinal)
            .ToList();
    }
}
