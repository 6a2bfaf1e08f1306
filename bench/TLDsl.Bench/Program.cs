using System;
using System.Globalization;
using TLDsl.Bench;
using TLDsl.Runtime.Native;

StartupClock.MainAt = DateTime.Now;
return Dispatch(args);

// In its own method, so that TLDsl.Runtime (whose module initializer loads the native library) is first touched here,
// after Main's clock reading: the startup case tells runtime start-up and native loading apart.
[System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
static int Dispatch(string[] args)
{
    CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
    CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
    TorchNative.EnsureLoaded();
    StartupClock.NativeAt = DateTime.Now;
    string command = args.Length > 0 ? args[0] : "help";
    string[] rest = args.Length > 1 ? args[1..] : [];
    return command switch
    {
        "cache" => CacheBenchmark.Run(rest),
        "memory" => MemoryBenchmark.Run(rest),
        "step-memory" => StepMemoryBenchmark.Run(rest),
        "accuracy" => AccuracyBenchmark.Run(rest),
        "table" => TableBenchmark.Run(rest),
        "preprocess" => PreprocessBenchmark.Run(rest),
        "startup" => StartupBenchmark.Run(rest),
        "layout" => LayoutBenchmark.Run(rest),
        "optimizer" => OptimizerBenchmark.Run(rest),
        "engines" => EngineBenchmark.Run(rest),
        _ when PyTorchCases.Handles(command) => PyTorchCases.Run(command, rest),
        _ => Usage(),
    };
}

static int Usage()
{
    Console.WriteLine("usage: TLDsl.Bench cache|memory|step-memory [--frozen|--unfrozen]|accuracy [--data <fashion-mnist folder>]");
    Console.WriteLine("       TLDsl.Bench preprocess [--reps 15] [--data <fashion-mnist folder>]   (one 64-image batch through the image preprocessor)");
    Console.WriteLine("       TLDsl.Bench table [--scenario s1|s2|all] [--sizes 10,50,200,1000,all] [--seed-sizes 10,50] [--seeds 3] [--ablation-size 200|none] [--quick] [--budget-min 90] [--s2-size 112] [--s2-test-per-class 100] [--methods pixels,scratch,frozen,gradual,finetune] [--cell-max-min 10] [--plan-only] [--out file.md] [--data folder]");
    Console.WriteLine("       TLDsl.Bench startup [--rounds 5] [--pipeline pipelines/quickstart.tl.yaml]   (process start -> model ready, cold vs warm weights cache)");
    Console.WriteLine("       TLDsl.Bench layout [--sizes 112,224] [--batch 32] [--rounds 5] [--threads 2]   (resnet18 NCHW vs channels-last, forward and forward+backward)");
    Console.WriteLine("       TLDsl.Bench optimizer [--steps 30] [--threads 2]   (AdamW step: one group per parameter vs two groups vs one)");
    Console.WriteLine("       TLDsl.Bench engines [--threads 2] [--rounds 7] [--images 32] [--sizes 112,224] [--batches 1,32]   (ONNX Runtime against TorchSharp, resnet18_imagenet backbone)");
    Console.WriteLine($"       TLDsl.Bench {PyTorchCases.Usage}   (cases compared with PyTorch by bench/pytorch.sh)");
    return 2;
}
