using System.Linq;
using TLDsl.Runtime.Data;
using static TorchSharp.torch;

namespace TLDsl.Bench;

/// <summary>The honest baseline: multinomial logistic regression on standardised raw pixels (no network, no transfer),
/// full batch, 300 AdamW steps, seed 0.</summary>
internal static class PixelLogisticRegression
{
    /// <summary>Trains on <paramref name="trainIndices"/> of <paramref name="train"/> and returns the accuracy on
    /// <paramref name="testIndices"/> of <paramref name="test"/>.</summary>
    public static double Accuracy(IImageSource train, int[] trainIndices, IImageSource test, int[] testIndices)
    {
        using var scope = NewDisposeScope();
        var (x, y) = Pixels(train, trainIndices);
        var (tx, ty) = Pixels(test, testIndices);
        var mean = x.mean([0]);
        // With few images some pixels never vary; the floor keeps them from dividing by zero.
        var std = x.std(0) + 1e-3;
        x = (x - mean) / std;
        tx = (tx - mean) / std;
        manual_seed(0);
        using var linear = nn.Linear(x.shape[1], train.Labels.Count);
        using var optimizer = optim.AdamW(linear.parameters(), 0.01, weight_decay: 1e-3);
        for (int i = 0; i < 300; i++)
        {
            using var step = NewDisposeScope();
            optimizer.zero_grad();
            nn.functional.cross_entropy(linear.call(x), y).backward();
            optimizer.step();
        }
        using var noGrad = no_grad();
        return linear.call(tx).argmax(1).eq(ty).to_type(ScalarType.Float32).mean().item<float>();
    }

    private static (Tensor X, Tensor Y) Pixels(IImageSource source, int[] indices)
    {
        var rows = indices.Select(i => source.Decode(i).Pixels).ToArray();
        var x = tensor(rows.SelectMany(r => r).ToArray(), [indices.Length, rows[0].Length]);
        var y = tensor(indices.Select(i => (long)source.LabelOf(i)).ToArray());
        return (x, y);
    }
}
