using System;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace TLDsl.Runtime.Native;

/// <summary>
/// Runs a <see cref="Conv2d"/> whose output channels are not a multiple of 16 with its filters zero-padded to the next
/// multiple, keeping the real channels. libtorch 2.10's oneDNN backward computes such a conv's input gradient wrongly
/// (AVX-512 and AVX2 kernels, blocks of 16 and 8 channels; measured against float64: 17-75% off, NaN on some passes,
/// different on identical passes; 1x1, grouped and 16k-channel convs are right). The padded channels' gradients are
/// zero, so the conv's own weight and bias receive exactly their gradients. Costs at most 16/n more work for these
/// (small) convs.
/// </summary>
internal static class PaddedConvolution
{
    /// <summary>oneDNN's channel block on AVX-512 (AVX2's 8 divides it).</summary>
    private const long Block = 16;

    /// <summary>True when <paramref name="conv"/> runs padded: one group, a kernel larger than 1x1, explicit zero padding,
    /// and output channels not a multiple of 16.</summary>
    public static bool Applies(Conv2d conv)
    {
        ArgumentNullException.ThrowIfNull(conv);
        return conv.groups == 1 && conv.out_channels % Block != 0 && conv.kernel_size[0] * conv.kernel_size[1] > 1
            && conv.padding is not null && conv.padding_mode == TorchSharp.PaddingModes.Zeros && !conv.transposed;
    }

    /// <summary><paramref name="conv"/> applied to <paramref name="x"/>: the same values and gradients as
    /// <c>conv.call(x)</c>, computed padded when <see cref="Applies"/>.</summary>
    public static Tensor Forward(Conv2d conv, Tensor x)
    {
        // An input the conv cannot take goes through the module, whose own check names the mismatch.
        if (!Applies(conv) || x.dim() != 4 || x.shape[1] != conv.in_channels)
        {
            return conv.call(x);
        }

        long extra = Block - (conv.out_channels % Block);
        var weight = F.pad(conv.weight, [0, 0, 0, 0, 0, 0, 0, extra]);
        var bias = conv.bias is null ? null : F.pad(conv.bias, [0, extra]);
        return F.conv2d(x, weight, bias, conv.stride, conv.padding, conv.dilation, conv.groups).narrow(1, 0, conv.out_channels);
    }
}
