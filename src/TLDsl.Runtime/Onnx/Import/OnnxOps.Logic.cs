using System.Collections.Generic;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Onnx.Import;

/// <summary>Comparisons, Not and Where: the boolean masks exporters write for shape arithmetic (ViT's class token
/// expand) and attention masks (Swin's shifted windows).</summary>
internal static partial class OnnxOps
{
    private static void AddLogic(Dictionary<string, OpSpec> s)
    {
        s["Equal"] = Binary((a, b) => a.eq(b));
        s["Less"] = Binary((a, b) => a.lt(b));
        s["Greater"] = Binary((a, b) => a.gt(b));
        s["Not"] = new([], _ => { }, _ => Kernel(i => i[0]!.logical_not()));
        s["Where"] = new([], _ => { }, _ => Kernel(i => where(i[0]!.to_type(ScalarType.Bool), i[1]!, i[2]!)), 9);
    }
}
