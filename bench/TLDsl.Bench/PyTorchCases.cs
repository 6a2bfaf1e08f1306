using System;
using System.Linq;

namespace TLDsl.Bench;

/// <summary>The TLDsl side of the cases bench/pytorch.sh compares with PyTorch programs (bench/pytorch/*.py). Each case
/// prints one <c>RESULT key=value ...</c> line that the driver pairs with the PyTorch program's line.</summary>
internal static class PyTorchCases
{
    private static readonly string[] Names = ["step-rate", "step-profile", "kernels", "frozen-finetune", "export-backbone", "forward-rate", "unfreeze"];

    public static string Usage => string.Join("|", Names) + " [--threads 2] [case options]";

    public static bool Handles(string command) => Names.Contains(command, StringComparer.Ordinal);

    public static int Run(string command, string[] args) => command switch
    {
        "step-rate" => StepRateBenchmark.Run(args),
        "step-profile" => StepProfileBenchmark.Run(args),
        "kernels" => KernelBenchmark.Run(args),
        "frozen-finetune" => FrozenFineTuneBenchmark.Run(args),
        "export-backbone" => FrozenFineTuneBenchmark.Export(args),
        "forward-rate" => ForwardRateBenchmark.Run(args),
        "unfreeze" => UnfreezeBenchmark.Run(args),
        _ => throw new NotSupportedException(command),
    };
}
