using System;
using System.Collections.Generic;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Onnx.Import;

/// <summary>Broadcasting binary arithmetic: Add, Sub, Mul, Div, Pow, Mod.</summary>
internal static partial class OnnxOps
{
    private static void AddArithmetic(Dictionary<string, OpSpec> s)
    {
        s["Add"] = Binary((a, b) => a + b);
        s["Sub"] = Binary((a, b) => a - b);
        s["Mul"] = Binary((a, b) => a * b);
        s["Div"] = Binary((a, b) => a.is_floating_point() ? a / b : a.div(b, RoundingMode.trunc));
        s["Pow"] = Binary((a, b) => a.pow(b));
        s["Mod"] = new(["fmod"], c =>
        {
            if (c.Attrs.Int("fmod", 0) is not (0 or 1))
            {
                c.Problem("attribute 'fmod' must be 0 or 1");
            }
        }, c =>
        {
            // fmod=0: the remainder takes the divisor's sign (integers only, as Python's %); fmod=1: C's fmod.
            bool fmod = c.Attrs.Int("fmod", 0) != 0;
            return Kernel(i => fmod ? i[0]!.fmod(i[1]!) : i[0]!.remainder(i[1]!));
        }, 10);
    }

    private static OpSpec Binary(Func<Tensor, Tensor, Tensor> f) =>
        new([], _ => { }, _ => Kernel(i => f(i[0]!, i[1]!)), 7);
}
