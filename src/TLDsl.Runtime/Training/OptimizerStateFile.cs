using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace TLDsl.Runtime.Training;

/// <summary>
/// A checkpoint's <c>optimizer.dat</c>: the optimizer's kind, the names of the parameters it trains, then each one's
/// options and state in TorchSharp's own encoding. The names let a resume check that the checkpoint and the pipeline
/// agree on what trains before anything is loaded; TorchSharp's own file only counts entries.
/// </summary>
internal static class OptimizerStateFile
{
    private const string Magic = "TLDsl optimizer state v1";

    public static void Write(string path, RunOptimizer optimizer)
    {
        using var stream = File.Create(path);
        using var writer = new BinaryWriter(stream);
        writer.Write(Magic);
        writer.Write(optimizer.StateKind);
        writer.Write(optimizer.Names.Count);
        foreach (var name in optimizer.Names)
        {
            writer.Write(name);
        }
        var dict = optimizer.Optimizer.state_dict();
        for (int i = 0; i < optimizer.Names.Count; i++)
        {
            dict.Options[i].SaveStateDict(writer);
            dict.State[i].SaveStateDict(writer);
        }
    }

    /// <summary>The names of the parameters whose state the file holds, in order.</summary>
    /// <exception cref="CheckpointException">The file is not one this version wrote.</exception>
    public static IReadOnlyList<string> ReadNames(string path)
    {
        using var stream = File.OpenRead(path);
        using var reader = new BinaryReader(stream);
        return ReadHeader(path, reader).Names;
    }

    /// <exception cref="CheckpointException">The file is not one this version wrote, or it trains other parameters.</exception>
    public static void Read(string path, RunOptimizer optimizer)
    {
        using var stream = File.OpenRead(path);
        using var reader = new BinaryReader(stream);
        try
        {
            var (kind, names) = ReadHeader(path, reader);
            string expected = optimizer.StateKind;
            if (kind != expected)
            {
                throw new CheckpointException($"{path}: holds {kind} state, but the pipeline's optimizer is {expected}. The pipeline changed since the checkpoint was written; start a new run.");
            }
            int count = names.Count;
            if (!names.SequenceEqual(optimizer.Names, StringComparer.Ordinal))
            {
                int at = Enumerable.Range(0, Math.Min(names.Count, optimizer.Names.Count)).FirstOrDefault(i => names[i] != optimizer.Names[i], Math.Min(names.Count, optimizer.Names.Count));
                string saved = at < names.Count ? $"'{names[at]}'" : "nothing more";
                string wanted = at < optimizer.Names.Count ? $"'{optimizer.Names[at]}'" : "nothing more";
                throw new CheckpointException($"{path}: trains {names.Count} parameters, the pipeline {optimizer.Names.Count}; entry {at + 1} is {saved} in the checkpoint and {wanted} in the pipeline. The pipeline's freeze or unfreeze changed since the checkpoint was written; start a new run.");
            }
            var dict = optimizer.Optimizer.state_dict();
            for (int i = 0; i < count; i++)
            {
                dict.Options[i].LoadStateDict(reader);
                dict.State[i].LoadStateDict(reader);
            }
            if (stream.Position != stream.Length)
            {
                throw new CheckpointException($"{path}: {stream.Length - stream.Position} bytes after the last parameter's state; the file is damaged.");
            }
        }
        catch (EndOfStreamException e)
        {
            throw new CheckpointException($"{path}: the file ends early; it is damaged.", e);
        }
        catch (Exception e) when (e is not CheckpointException and not OutOfMemoryException)
        {
            // TorchSharp's tensor reader throws several types on a damaged tensor (shape, type, length).
            throw new CheckpointException($"{path}: unreadable optimizer state ({e.GetType().Name}: {e.Message}); the file is damaged.", e);
        }
    }

    private static (string Kind, IReadOnlyList<string> Names) ReadHeader(string path, BinaryReader reader)
    {
        try
        {
            if (reader.ReadString() != Magic)
            {
                throw new CheckpointException($"{path}: not an optimizer state this version of TLDsl writes (an earlier version kept state for every parameter, frozen or not). Resume the run with the version that wrote it, or start a new run.");
            }
            string kind = reader.ReadString();
            int count = reader.ReadInt32();
            if (count < 0 || count > 1_000_000)
            {
                throw new CheckpointException($"{path}: implausible parameter count {count}; the file is damaged.");
            }
            return (kind, Enumerable.Range(0, count).Select(_ => reader.ReadString()).ToList());
        }
        catch (Exception e) when (e is EndOfStreamException or FormatException)
        {
            throw new CheckpointException($"{path}: the header is damaged ({e.Message}).", e);
        }
    }
}
