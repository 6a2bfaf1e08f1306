using System;
using System.IO;
using System.Linq;
using TLDsl.Runtime.Pipelines;
using TLDsl.Runtime.Training;
using TLDsl.Runtime.Weights;
using TLDsl.Spec.Registries;
using TorchSharp;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Tests.Training;

public sealed class CheckpointTests : IDisposable
{
    private const string TwoPhases = """
        - { name: head, epochs: 1 }
        - { name: layer4, epochs: 1, unfreeze: [layer4], lr: { "layer4": 1e-4, head: 1e-3 } }
        """;

    private readonly SamplePipelines _pipelines = new();

    public void Dispose() => _pipelines.Dispose();

    [Fact]
    public void A_checkpoint_holds_what_some_phase_trains_and_the_run_keeps_the_frozen_weights_once()
    {
        string pipeline = _pipelines.Write("Compact", TwoPhases);
        using var session = TrainingSession.Start(pipeline, new TrainingOverrides { RunsRoot = _pipelines.Runs });
        string checkpoint = session.Train(stopAfterSteps: 2).Training.LastCheckpoint!;

        var parameters = session.Model.named_parameters().Select(p => p.name).ToList();
        var buffers = session.Model.named_buffers().Select(b => b.name).ToList();
        var trained = parameters.Where(n => n.StartsWith("head.", StringComparison.Ordinal) || n.StartsWith("layer4.", StringComparison.Ordinal)).ToList();
        Assert.Contains("layer4.0.conv1.weight", trained);

        var own = StateDictFile.Read(Path.Combine(checkpoint, "model.dat"));
        var frozen = StateDictFile.Read(Path.Combine(session.Run.Checkpoints, "frozen.dat"));
        Assert.Equal(trained.Concat(buffers).Order(), own.Keys.Order());
        Assert.Equal(parameters.Except(trained).Order(), frozen.Keys.Order());
        // Layer4 trains only in phase 2, but has its optimizer state from the start, so the state carries over.
        Assert.Equal(trained, OptimizerStateFile.ReadNames(Path.Combine(checkpoint, "optimizer.dat")));

        var all = Checkpoints.ReadWeights(checkpoint);
        var live = session.Model.state_dict();
        Assert.Equal(live.Keys.Order(), all.Keys.Order());
        Assert.All(live, kv => Assert.True(kv.Value.eq(all[kv.Key]).all().item<bool>(), kv.Key));
    }

    [Fact]
    public void The_end_of_a_run_marks_its_last_checkpoint_finished_in_place_and_pruning_leaves_only_whole_checkpoints()
    {
        string pipeline = _pipelines.Write("Finish", "- { epochs: 3 }", extra: "checkpoint: { keep: last }");
        using var session = TrainingSession.Start(pipeline, new TrainingOverrides { RunsRoot = _pipelines.Runs });
        var result = session.Train();

        string last = Checkpoints.Latest(session.Run)!;
        Assert.Equal(result.Training.LastCheckpoint, last);
        var state = Checkpoints.ReadState(last);
        Assert.True(state.Finished);
        Assert.Equal("all phases completed", state.StopReason);
        Assert.Equal(3, state.Epoch);
        // keep: last leaves the latest and the best; every folder that is left is whole, and no temporary one remains.
        var folders = Directory.GetDirectories(session.Run.Checkpoints);
        Assert.DoesNotContain(folders, d => Path.GetFileName(d).StartsWith('.'));
        Assert.All(folders, d => Assert.Equal(["model.dat", "optimizer.dat", "rng.dat", "state.json"], Directory.GetFiles(d).Select(Path.GetFileName).Order()));
    }

    [Fact]
    public void A_resume_with_other_training_settings_than_the_run_started_with_is_refused()
    {
        string pipeline = _pipelines.Write("Settings", "- { epochs: 2 }");
        var started = new TrainingOverrides
        {
            RunsRoot = _pipelines.Runs,
            Customize = plan => plan with { Seed = 3, Phases = [plan.Phases[0] with { Epochs = 3 }] },
        };
        string run;
        using (var session = TrainingSession.Start(pipeline, started))
        {
            session.Train(stopAfterSteps: 1);
            run = session.Run.Path;
        }

        var e = Assert.Throws<PipelineException>(() => TrainingSession.Resume(run));
        Assert.Contains("seed: started with 3, now 7", e.Message, StringComparison.Ordinal);
        Assert.Contains("phases[0]: started with phase1: 3 epochs, lr none, rates none, ConstantSchedule, now phase1: 2 epochs", e.Message, StringComparison.Ordinal);
        Assert.Contains("Resume with the options the run was started with", e.Message, StringComparison.Ordinal);

        string record = Path.Combine(run, "plan.json");
        string good = File.ReadAllText(record);
        File.WriteAllText(record, good[..(good.Length / 2)]);
        Assert.Contains("plan.json: not a record of training settings", Assert.Throws<CheckpointException>(() => TrainingSession.Resume(run, started)).Message, StringComparison.Ordinal);
        File.WriteAllText(record, good);

        using var resumed = TrainingSession.Resume(run, started with { Threads = 1, CacheFeatures = false }); // these change no result
        Assert.True(resumed.Train().Training.State.Finished);
    }

    [Fact]
    public void A_checkpoint_moved_out_of_its_run_folder_is_refused_with_the_missing_file_named()
    {
        string pipeline = _pipelines.Write("Moved", "- { epochs: 1 }");
        using var session = TrainingSession.Start(pipeline, new TrainingOverrides { RunsRoot = _pipelines.Runs });
        string checkpoint = session.Train(stopAfterSteps: 1).Training.LastCheckpoint!;
        string moved = Path.Combine(_pipelines.Folder, "moved", Path.GetFileName(checkpoint));
        Directory.CreateDirectory(Path.GetDirectoryName(moved)!);
        Directory.Move(checkpoint, moved);

        var e = Assert.Throws<CheckpointException>(() => Checkpoints.LoadModel(moved, session.Model));
        Assert.Contains("frozen.dat", e.Message, StringComparison.Ordinal);
        Assert.Contains(moved, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Optimizer_state_for_other_parameters_or_from_an_earlier_format_is_refused_before_anything_loads()
    {
        using var a = nn.Linear(3, 2);
        using var b = nn.Linear(3, 2);
        var plan = new OptimizerPlan(OptimizerKind.AdamW, 1e-3, WeightDecay: 0.01);
        using var saved = new RunOptimizer([("a.weight", a.weight!), ("a.bias", a.bias!)], plan);
        string path = Path.Combine(_pipelines.Folder, "optimizer.dat");
        OptimizerStateFile.Write(path, saved);

        using var other = new RunOptimizer([("a.weight", a.weight!), ("b.bias", b.bias!)], plan);
        var e = Assert.Throws<CheckpointException>(() => OptimizerStateFile.Read(path, other));
        Assert.Contains("entry 2 is 'a.bias' in the checkpoint and 'b.bias' in the pipeline", e.Message, StringComparison.Ordinal);

        using var fewer = new RunOptimizer([("a.weight", a.weight!)], plan);
        Assert.Contains("trains 2 parameters, the pipeline 1", Assert.Throws<CheckpointException>(() => OptimizerStateFile.Read(path, fewer)).Message, StringComparison.Ordinal);

        byte[] whole = File.ReadAllBytes(path);
        File.WriteAllBytes(path, whole[..(whole.Length - 9)]);
        Assert.Contains("ends early", Assert.Throws<CheckpointException>(() => OptimizerStateFile.Read(path, saved)).Message, StringComparison.Ordinal);

        saved.Optimizer.save_state_dict(path); // TorchSharp's own format, as checkpoints before this one held
        Assert.Contains("not an optimizer state this version of TLDsl writes", Assert.Throws<CheckpointException>(() => OptimizerStateFile.Read(path, saved)).Message, StringComparison.Ordinal);
    }
}
