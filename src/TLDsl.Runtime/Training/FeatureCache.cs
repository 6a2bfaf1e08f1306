using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using TLDsl.Runtime.Data;
using TLDsl.Runtime.Native;
using TLDsl.Runtime.Onnx.Engine;
using TLDsl.Runtime.Reporting;
using TLDsl.Runtime.Surgery;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Training;

/// <summary>
/// The frozen prefix's outputs for every sample of a split, computed once and reused every epoch. Valid only when the
/// prefix has no trainable parameter, every stochastic module in it is held in eval mode and no random augmentation
/// touches the input — then the cached output is bit-identical to recomputing it. Small caches live in one tensor;
/// larger ones in a file of float32 rows that batches read by offset.
/// </summary>
internal sealed class FeatureCache : IDisposable
{
    private readonly Tensor? _memory;
    private readonly FileStream? _file;
    private readonly long[] _rowShape;
    private readonly long _rowFloats;

    private FeatureCache(Tensor? memory, FileStream? file, long[] rowShape, double seconds)
    {
        _memory = memory;
        _file = file;
        _rowShape = rowShape;
        _rowFloats = rowShape.Aggregate(1L, (a, b) => a * b);
        Seconds = seconds;
    }

    /// <summary>Time spent computing the cache.</summary>
    public double Seconds { get; }

    /// <summary>True when the cache lives in memory.</summary>
    public bool InMemory => _memory is not null;

    /// <summary>Computes the first <paramref name="prefix"/> steps for every sample of <paramref name="indices"/>, with
    /// <paramref name="engine"/> when given.</summary>
    public static FeatureCache Build(TransferModel model, int prefix, IImageSource source, int[] indices, ImagePreprocessor preprocessor,
        int batchSize, int seed, long memoryBytes, string diskFolder, ITrainingObserver observer, FeatureEngine? engine = null)
    {
        var watch = Stopwatch.StartNew();
        Tensor? memory = null;
        FileStream? file = null;
        long[]? rowShape = null;
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        using var noGrad = no_grad();
        // Advanced by the batch actually taken, so a huge batch size cannot overflow the position.
        for (int start = 0, count; start < indices.Length; start += count)
        {
            using var scope = NewDisposeScope();
            count = Math.Min(batchSize, indices.Length - start);
            var x = preprocessor.Batch(source, indices.AsSpan(start, count), train: false, seed, epoch: 0);
            // The engine (ONNX Runtime or TorchSharp) computes the prefix; without one, TorchSharp does.
            var features = (engine is null ? model.RunSteps(x, 0, prefix) : engine.Compute(x)).contiguous();
            if (rowShape is null)
            {
                rowShape = features.shape.Skip(1).ToArray();
                long bytes = indices.Length * rowShape.Aggregate(4L, (a, b) => a * b);
                if (bytes <= memoryBytes)
                {
                    memory = empty([indices.Length, .. rowShape]).DetachFromDisposeScope();
                }
                else
                {
                    Directory.CreateDirectory(diskFolder);
                    string path = Path.Combine(diskFolder, $"features-{Guid.NewGuid():N}.f32");
                    file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 20, FileOptions.DeleteOnClose);
                }
            }
            if (memory is not null)
            {
                memory[TensorIndex.Slice(start, start + count)] = features;
            }
            else
            {
                file!.Write(features.bytes);
            }
            observer.FeatureCaching(start + count, indices.Length);
        }
        // The prefix's activations of the last batch are freed; their pages go back to the system, not to training.
        // So do the build's managed batches (pixels, ONNX Runtime's inputs and outputs: large-object garbage the GC
        // would keep committed through the epochs, ~30 MiB in the gradual-unfreezing case).
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        NativeHeap.Trim();
        return new FeatureCache(memory, file, rowShape ?? [], watch.Elapsed.TotalSeconds);
    }

    /// <summary>The cached rows at <paramref name="positions"/> (positions within the split), as one batch.</summary>
    public Tensor Gather(ReadOnlySpan<int> positions)
    {
        if (_memory is not null)
        {
            using var index = tensor(positions.ToArray().Select(p => (long)p).ToArray());
            return _memory.index_select(0, index);
        }
        var buffer = new float[positions.Length * _rowFloats];
        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(buffer.AsSpan());
        int rowBytes = checked((int)(_rowFloats * 4));
        for (int i = 0; i < positions.Length; i++)
        {
            _file!.Seek((long)positions[i] * rowBytes, SeekOrigin.Begin);
            _file.ReadExactly(bytes.Slice(checked(i * rowBytes), rowBytes));
        }
        return tensor(buffer, [positions.Length, .. _rowShape]);
    }

    public void Dispose()
    {
        _memory?.Dispose();
        _file?.Dispose();
    }
}
