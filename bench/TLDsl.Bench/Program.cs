using System;
using System.Globalization;
using TLDsl.Bench;
using TLDsl.Runtime.Native;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
TorchNative.EnsureLoaded();
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
    _ when PyTorchCases.Handles(command) => PyTorchCases.Run(command, rest),
    _ => Usage(),
};

static int Usage()
{
    Console.WriteLine("usage: TLDsl.Bench cache|memory|step-memory [--frozen|--unfrozen]|accuracy [--data <fashion-mnist folder>]");
    Console.WriteLine("       TLDsl.Bench preprocess [--reps 15] [--data <fashion-mnist folder>]   (one 64-image batch through the image preprocessor)");
    Console.WriteLine("       TLDsl.Bench table [--scenario s1|s2|all] [--sizes 10,50,200,1000,all] [--seed-sizes 10,50] [--seeds 3] [--ablation-size 200|none] [--quick] [--budget-min 90] [--s2-size 112] [--s2-test-per-class 100] [--methods pixels,scratch,frozen,gradual,finetune] [--cell-max-min 10] [--plan-only] [--out file.md] [--data folder]");
    Console.WriteLine($"       TLDsl.Bench {PyTorchCases.Usage}   (cases compared with PyTorch by bench/pytorch.sh)");
    return 2;
}
