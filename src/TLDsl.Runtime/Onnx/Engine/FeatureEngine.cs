using System;
using TLDsl.Runtime.Onnx.Export;
using TLDsl.Runtime.Surgery;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Onnx.Engine;

/// <summary>
/// Computes a model's frozen prefix (the first backbone steps) for the feature cache with the engine a plan asks for.
/// ONNX Runtime's session is made on the first batch, from the batch's per-image shape. <c>auto</c> falls back to
/// TorchSharp, saying so through <c>log</c>, when the prefix cannot be exported; an explicit <c>ort</c> is then an
/// <see cref="OnnxExportException"/>.
/// </summary>
internal sealed class FeatureEngine : IDisposable
{
    private readonly TransferModel _model;
    private readonly int _prefix;
    private readonly InferenceEngine _requested;
    private readonly int _threads;
    private readonly Action<string> _log;
    private OrtForward? _ort;

    /// <summary>Creates the engine; nothing is exported before the first <see cref="Compute"/>.</summary>
    /// <param name="model">The model whose prefix runs.</param>
    /// <param name="prefix">The number of leading backbone steps.</param>
    /// <param name="requested">The engine asked for (<c>auto</c> is resolved here).</param>
    /// <param name="threads">ONNX Runtime's intra-op threads (0: as many as libtorch uses).</param>
    /// <param name="log">Where the fallback of <c>auto</c> is reported.</param>
    public FeatureEngine(TransferModel model, int prefix, InferenceEngine requested, int threads, Action<string> log)
    {
        _model = model ?? throw new ArgumentNullException(nameof(model));
        _prefix = prefix;
        _requested = requested;
        _threads = threads > 0 ? threads : Math.Max(1, get_num_threads());
        _log = log ?? throw new ArgumentNullException(nameof(log));
        Used = InferenceEngines.Resolve(requested);
    }

    /// <summary>The engine that computes (or will compute) the features: <c>ort</c> or <c>torch</c>.</summary>
    public InferenceEngine Used { get; private set; }

    /// <summary>The prefix's output for <paramref name="x"/>, in the caller's dispose scope.</summary>
    public Tensor Compute(Tensor x)
    {
        switch (Used)
        {
            case InferenceEngine.Torch:
                return _model.RunSteps(x, 0, _prefix);
            case InferenceEngine.Ort:
                _ort ??= Open(x);
                return _ort is null ? _model.RunSteps(x, 0, _prefix) : _ort.Run(x);
            default:
                throw new InvalidOperationException($"unknown feature engine {Used}");
        }
    }

    private OrtForward? Open(Tensor x)
    {
        try
        {
            return OrtForward.Create(_model, _prefix, x.shape[1..], _threads);
        }
        catch (OnnxExportException e) when (_requested == InferenceEngine.Auto)
        {
            _log($"feature cache: ONNX Runtime cannot run the frozen prefix ({e.Message}); computing it with TorchSharp");
            Used = InferenceEngine.Torch;
            return null;
        }
        catch (OnnxExportException e)
        {
            throw new OnnxExportException($"the feature cache engine 'ort' cannot run the frozen prefix: {e.Message} Train with --engine torch (or auto, which falls back).", e);
        }
    }

    public void Dispose() => _ort?.Dispose();
}
