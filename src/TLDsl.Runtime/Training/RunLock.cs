using System;
using System.Globalization;
using System.IO;
using TLDsl.Runtime.IO;

namespace TLDsl.Runtime.Training;

/// <summary>
/// The training lock of a run folder: <see cref="FileName"/> held open with <see cref="FileShare.None"/> for as long as
/// a process trains the run, so a second train or resume of it is refused at once. The operating system drops the lock
/// when the process ends, however it ends (a kill included), so a lock never outlives its holder. Who holds it is written
/// beside it (<see cref="HolderFileName"/>), because the locked file itself cannot be opened by anyone else. Readers of a
/// run (evaluate, predict, export) take no lock.
/// </summary>
public sealed class RunLock : IDisposable
{
    /// <summary>The locked file in the run folder.</summary>
    public const string FileName = "training.lock";

    /// <summary>The file naming the process that holds the lock (pid, machine, since when).</summary>
    public const string HolderFileName = "training.holder";

    // What .NET reports for a file another handle holds exclusively: ERROR_SHARING_VIOLATION or ERROR_LOCK_VIOLATION on
    // Windows; on Unix, where FileShare.None is an flock, the errno EWOULDBLOCK (11 on Linux, 35 on macOS).
    private static readonly int[] HeldResults = [unchecked((int)0x80070020), unchecked((int)0x80070021), 11, 35];

    private readonly FileStream _stream;
    private readonly string _holder;

    private RunLock(FileStream stream, string holder)
    {
        _stream = stream;
        _holder = holder;
    }

    /// <summary>Takes the training lock of <paramref name="run"/>.</summary>
    /// <exception cref="RunLockedException">Another process (or another session of this one) is training the run.</exception>
    public static RunLock Acquire(RunFolder run)
    {
        ArgumentNullException.ThrowIfNull(run);
        string path = Path.Combine(run.Path, FileName);
        string holder = Path.Combine(run.Path, HolderFileName);
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e) when (Array.IndexOf(HeldResults, e.HResult) >= 0)
        {
            throw new RunLockedException(string.Create(CultureInfo.InvariantCulture,
                $"{run.Path}: the run is being trained by another process ({DescribeHolder(holder)}); its lock {path} is held. Wait for that training to end, or stop it, before training this run again. evaluate, predict and export can read the run meanwhile."), e);
        }
        try
        {
            AtomicFile.WriteAllText(holder, string.Create(CultureInfo.InvariantCulture,
                $"pid {Environment.ProcessId} on {Environment.MachineName}, since {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm:ss} UTC\n"));
        }
        catch
        {
            stream.Dispose();
            throw;
        }
        return new RunLock(stream, holder);
    }

    /// <summary>Releases the lock; the holder file goes first, while the lock still guards it.</summary>
    public void Dispose()
    {
        try
        {
            File.Delete(_holder);
        }
        catch (IOException)
        {
            // Only informative: the next holder overwrites it.
        }
        catch (UnauthorizedAccessException)
        {
        }
        _stream.Dispose();
    }

    private static string DescribeHolder(string holder)
    {
        try
        {
            string text = File.ReadAllText(holder).Trim();
            return text.Length > 0 ? text : "holder not recorded yet";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The holder has just taken the lock and not yet written who it is.
            return "holder not recorded yet";
        }
    }
}
