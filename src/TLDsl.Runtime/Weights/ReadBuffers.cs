using System;
using System.Collections.Generic;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Weights;

/// <summary>What is left after weights have been copied into a model: the state dictionary's own tensors (native
/// memory the GC does not see, so disposed here rather than left to a finaliser) and the managed buffers the file went
/// through on the way (file bytes, for ONNX the parsed protobuf and a copy per tensor: several times the weights' size).
/// Those are garbage once loading ends, but the GC would keep their pages committed for the whole run — 133 MiB for the
/// ImageNet ResNet-18, measured by bench/pytorch.sh case 2 — so one aggressive collection hands them back.</summary>
internal static class ReadBuffers
{
    /// <summary>Disposes every tensor of <paramref name="state"/> and returns the freed managed memory to the system.</summary>
    public static void Release(Dictionary<string, Tensor> state)
    {
        foreach (var tensor in state.Values)
        {
            tensor.Dispose();
        }
        state.Clear();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    }
}
