using System;
using System.Collections.Generic;
using TLDsl.Spec.Model;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Data;

/// <summary>Test-time augmentation: the softmax probabilities of the plain batch and of each view, averaged (every
/// view weighs the same; <see cref="TtaView.Rotate90"/> is two views, a quarter turn each way).</summary>
public static class TestTimeAugmentation
{
    /// <summary>The averaged probabilities <c>[B, classes]</c>.</summary>
    /// <param name="forward">The model (eval mode, no gradients).</param>
    /// <param name="batch">The preprocessed batch <c>[B, C, H, W]</c>.</param>
    /// <param name="views">The views besides the plain batch.</param>
    /// <exception cref="ArgumentException">A quarter turn of a batch that is not square.</exception>
    public static Tensor Probabilities(Func<Tensor, Tensor> forward, Tensor batch, IReadOnlyList<TtaView> views)
    {
        ArgumentNullException.ThrowIfNull(forward);
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(views);
        var sum = nn.functional.softmax(forward(batch), 1);
        var count = 1;
        foreach (var view in views)
        {
            foreach (var image in Views(batch, view))
            {
                sum = sum + nn.functional.softmax(forward(image), 1);
                count++;
            }
        }

        return sum / count;
    }

    /// <summary>The images one view stands for.</summary>
    internal static Tensor[] Views(Tensor batch, TtaView view) => view switch
    {
        TtaView.Flip => [batch.flip(3)],
        TtaView.VerticalFlip => [batch.flip(2)],
        TtaView.Rotate90 => batch.shape[2] == batch.shape[3]
            ? [batch.rot90(1, (2, 3)), batch.rot90(3, (2, 3))]
            : throw new ArgumentException($"tta rotate90 needs a square input; the batch is {batch.shape[2]}x{batch.shape[3]}.", nameof(batch)),
        _ => throw new ArgumentOutOfRangeException(nameof(view), view, "Unknown test-time augmentation view."),
    };
}
