using TLDsl.Spec.Registries;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TLDsl.Runtime.Surgery;

/// <summary>Global average, max, or concatenated average+max pooling of a feature map, flattened to [N, C] (or
/// [N, 2C] for concat). Has no parameters.</summary>
public sealed class GlobalPool : Module<Tensor, Tensor>
{
    private readonly HeadLayerKind _kind;

    /// <summary>Creates the pool.</summary>
    /// <exception cref="System.ArgumentOutOfRangeException"><paramref name="kind"/> is not a pool.</exception>
    public GlobalPool(HeadLayerKind kind) : base($"GlobalPool({kind})")
    {
        _kind = kind is HeadLayerKind.AvgPool or HeadLayerKind.MaxPool or HeadLayerKind.ConcatPool
            ? kind
            : throw new System.ArgumentOutOfRangeException(nameof(kind), kind, "not a pooling kind.");
    }

    /// <summary>Average, max or concat.</summary>
    internal HeadLayerKind Kind => _kind;

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var result = _kind switch
        {
            HeadLayerKind.AvgPool => input.mean([2, 3]),
            HeadLayerKind.MaxPool => input.amax([2, 3]),
            HeadLayerKind.ConcatPool => torch.cat([input.mean([2, 3]), input.amax([2, 3])], 1),
            _ => throw new System.InvalidOperationException($"{_kind} is not a pooling kind."),
        };
        return result.MoveToOuterDisposeScope();
    }
}
