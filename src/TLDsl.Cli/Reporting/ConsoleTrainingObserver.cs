using System;
using System.Globalization;
using System.IO;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Spectre.Console;

using TLDsl.Runtime.Reporting;

namespace TLDsl.Cli.Reporting;

/// <summary>Shows training progress on the console. In a terminal: a live Spectre.Console display with a bar for the
/// current epoch and one for the phase, each with its ETA, and the epoch summaries printed above them. When output
/// is redirected (or <c>interactive: false</c>): plain lines — one per phase start, one per epoch, one about every
/// 10% of an epoch, and every 10% of feature caching — so logs stay readable.</summary>
/// <remarks>Plain line formats (numbers in the invariant culture):
/// <code>
/// phase 1/2 head: 3 epochs, cached features
/// caching features 120/1200 (10%)
/// epoch 1 batch 47/469 (10%) loss 0.6931 lr 1.000e-03
/// epoch 1 [head] step 469 lr 1.000e-03 | train loss 0.4123 acc 0.8512 | valid loss 0.4410 acc 0.8400 top5 0.9900 f1 0.8390 | 12.3s (cache 4.1s)
/// </code>
/// Messages are written as they are. Dispose (or <see cref="TrainingCompleted"/>) ends a live display.</remarks>
internal sealed class ConsoleTrainingObserver : ITrainingObserver, IDisposable
{
    private readonly TextWriter _output;
    private readonly IAnsiConsole? _console;
    private readonly object _gate = new();
    private int _lastBatchDecile;
    private int _lastCacheDecile = -1;
    private int _lastCacheTotal;

    // Live display state (interactive only).
    private ProgressContext? _context;
    private ManualResetEventSlim? _stop;
    private Task? _display;
    private ProgressTask? _epochTask;
    private ProgressTask? _phaseTask;
    private ProgressTask? _cacheTask;
    private string _phase = "";
    private int _phaseLabel;
    private int _phaseCount;
    private int _phaseEpochs;
    private int _epochsDoneInPhase;

    /// <summary>Creates the observer.</summary>
    /// <param name="output">Where to write; the console's standard output when null.</param>
    /// <param name="interactive">Whether to show a live display. When null: only when <paramref name="output"/> is
    /// null and standard output is a terminal that Spectre.Console can drive.</param>
    public ConsoleTrainingObserver(TextWriter? output = null, bool? interactive = null)
    {
        _output = output ?? Console.Out;
        Interactive = interactive ?? (output is null && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive);
        if (Interactive)
        {
            _console = output is null
                ? AnsiConsole.Console
                : AnsiConsole.Create(new AnsiConsoleSettings
                {
                    Out = new AnsiConsoleOutput(TextWriter.Synchronized(output)),
                    Interactive = InteractionSupport.Yes,
                    Ansi = AnsiSupport.Yes,
                });
        }
    }

    /// <summary>Whether the live display is used.</summary>
    public bool Interactive { get; }

    /// <inheritdoc />
    public void PhaseStarted(string phase, int phaseIndex, int phaseCount, int epochs, bool cachedFeatures)
    {
        ArgumentNullException.ThrowIfNull(phase);
        lock (_gate)
        {
            _phase = phase;
            _phaseLabel = phaseIndex + 1;
            _phaseCount = phaseCount;
            _phaseEpochs = epochs;
            _epochsDoneInPhase = 0;
            _lastCacheDecile = -1;
            string line = string.Create(CultureInfo.InvariantCulture,
                $"phase {phaseIndex + 1}/{phaseCount} {phase}: {epochs} epoch{(epochs == 1 ? "" : "s")}{(cachedFeatures ? ", cached features" : "")}");
            if (!Interactive)
            {
                WritePlain(line);
                return;
            }
            StopDisplay();
            WriteLive(line);
            StartDisplay();
        }
    }

    /// <inheritdoc />
    public void FeatureCaching(int done, int total)
    {
        lock (_gate)
        {
            if (total <= 0)
            {
                return;
            }
            if (total != _lastCacheTotal || done < 0 || (long)done * 10 / total < _lastCacheDecile)
            {
                _lastCacheDecile = -1;
                _lastCacheTotal = total;
            }
            if (Interactive)
            {
                if (_context is { } context)
                {
                    _cacheTask ??= context.AddTask("caching features", maxValue: total);
                    _cacheTask.MaxValue = total;
                    _cacheTask.Value = Math.Min(done, total);
                    if (done >= total)
                    {
                        _cacheTask.StopTask();
                        _cacheTask = null;
                    }
                }
                return;
            }
            int decile = (int)Math.Min(10, (long)Math.Max(0, done) * 10 / total);
            if (decile > _lastCacheDecile && decile > 0)
            {
                _lastCacheDecile = decile;
                WritePlain(string.Create(CultureInfo.InvariantCulture,
                    $"caching features {done}/{total} ({(long)done * 100 / total}%)"));
            }
        }
    }

    /// <inheritdoc />
    public void BatchCompleted(int epoch, int batch, int batchesPerEpoch, double loss, double learningRate)
    {
        lock (_gate)
        {
            if (batchesPerEpoch <= 0)
            {
                return;
            }
            if (Interactive)
            {
                if (_epochTask is { } et && _phaseTask is { } pt)
                {
                    et.Description = string.Create(CultureInfo.InvariantCulture,
                        $"epoch {epoch} loss {Number(loss)} lr {Rate(learningRate)}");
                    et.MaxValue = batchesPerEpoch;
                    et.Value = Math.Min(batch, batchesPerEpoch);
                    pt.MaxValue = Math.Max(1, _phaseEpochs) * (double)batchesPerEpoch;
                    pt.Value = Math.Min(pt.MaxValue, _epochsDoneInPhase * (double)batchesPerEpoch + batch);
                }
                return;
            }
            int decile = (int)Math.Min(10, (long)Math.Max(0, batch) * 10 / batchesPerEpoch);
            if (batch <= 1 || decile < _lastBatchDecile)
            {
                _lastBatchDecile = 0;
            }
            // The last batch is followed by the epoch line; deciles 1 to 9 get a line each.
            if (decile > _lastBatchDecile && decile < 10)
            {
                _lastBatchDecile = decile;
                WritePlain(string.Create(CultureInfo.InvariantCulture,
                    $"epoch {epoch} batch {batch}/{batchesPerEpoch} ({(long)batch * 100 / batchesPerEpoch}%) loss {Number(loss)} lr {Rate(learningRate)}"));
            }
        }
    }

    /// <inheritdoc />
    public void EpochCompleted(EpochRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        lock (_gate)
        {
            _lastBatchDecile = 0;
            _epochsDoneInPhase++;
            string line = FormatEpoch(record);
            if (!Interactive)
            {
                WritePlain(line);
                return;
            }
            if (_epochTask is { } et)
            {
                et.Value = et.MaxValue;
            }
            if (_phaseTask is { } pt)
            {
                pt.Value = Math.Min(pt.MaxValue, _epochsDoneInPhase * (pt.MaxValue / Math.Max(1, _phaseEpochs)));
                pt.Description = PhaseDescription();
            }
            WriteLive(line);
            // The next epoch's first batch moves the epoch bar back; after the run's last epoch the display ends.
            if (_epochsDoneInPhase >= _phaseEpochs && _phaseLabel >= _phaseCount)
            {
                StopDisplay();
            }
        }
    }

    /// <inheritdoc />
    public void Message(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        lock (_gate)
        {
            if (Interactive)
            {
                WriteLive(text);
            }
            else
            {
                WritePlain(text);
            }
        }
    }

    /// <inheritdoc />
    public void TrainingCompleted()
    {
        lock (_gate)
        {
            StopDisplay();
            _output.Flush();
        }
    }

    /// <summary>Ends a live display, if one is running.</summary>
    public void Dispose() => TrainingCompleted();

    /// <summary>The plain one-line summary of an epoch (see the class remarks).</summary>
    public static string FormatEpoch(EpochRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var b = new StringBuilder();
        b.Append(CultureInfo.InvariantCulture, $"epoch {record.Epoch} [{record.Phase}] step {record.Step} lr {Rate(record.LearningRate)}");
        b.Append(CultureInfo.InvariantCulture, $" | train loss {Number(record.TrainLoss)} acc {Number(record.TrainAccuracy)}");
        if (record.ValidLoss is not null || record.ValidAccuracy is not null)
        {
            b.Append(" | valid");
            Optional(b, "loss", record.ValidLoss);
            Optional(b, "acc", record.ValidAccuracy);
            Optional(b, "top5", record.ValidTop5);
            Optional(b, "f1", record.ValidMacroF1);
        }
        b.Append(CultureInfo.InvariantCulture, $" | {record.Seconds:0.0}s");
        if (record.FeatureCacheSeconds is { } cache)
        {
            b.Append(CultureInfo.InvariantCulture, $" (cache {cache:0.0}s)");
        }
        return b.ToString();
    }

    private static void Optional(StringBuilder b, string name, double? value)
    {
        if (value is { } v)
        {
            b.Append(' ').Append(name).Append(' ').Append(Number(v));
        }
    }

    private static string Number(double value) => value.ToString("0.0000", CultureInfo.InvariantCulture);

    private static string Rate(double value) => value.ToString("0.000e+00", CultureInfo.InvariantCulture);

    private string PhaseDescription() => string.Create(CultureInfo.InvariantCulture,
        $"phase {_phaseLabel}/{_phaseCount} {Markup.Escape(_phase)}: epoch {Math.Min(_epochsDoneInPhase + 1, _phaseEpochs)}/{_phaseEpochs}");

    private void WritePlain(string line)
    {
        _output.WriteLine(line);
        _output.Flush();
    }

    private void WriteLive(string line) => _console!.WriteLine(line);

    private void StartDisplay()
    {
        var ready = new ManualResetEventSlim();
        var stop = new ManualResetEventSlim();
        var progress = _console!.Progress()
            .AutoClear(false)
            .AutoRefresh(true)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(),
                new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn());
        _stop = stop;
        _display = Task.Run(() => progress.Start(context =>
        {
            _phaseTask = context.AddTask(PhaseDescription(), maxValue: Math.Max(1, _phaseEpochs));
            _epochTask = context.AddTask("epoch", maxValue: 1);
            _context = context;
            ready.Set();
            stop.Wait();
        }));
        // The display thread sets up the tasks; wait for it (or for its failure) so that updates have somewhere to go.
        while (!ready.Wait(50) && !_display.IsCompleted)
        {
        }
        ready.Dispose();
    }

    private void StopDisplay()
    {
        if (_display is null)
        {
            return;
        }
        _stop!.Set();
        try
        {
            _display.Wait();
        }
        catch (AggregateException e)
        {
            _output.WriteLine("progress display failed: " + e.InnerException?.Message);
        }
        _stop.Dispose();
        _stop = null;
        _display = null;
        _context = null;
        _epochTask = null;
        _phaseTask = null;
        _cacheTask = null;
    }
}
