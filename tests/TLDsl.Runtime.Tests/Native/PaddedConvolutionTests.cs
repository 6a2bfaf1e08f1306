using System;
using System.Linq;
using TLDsl.Runtime.Models;
using TLDsl.Runtime.Native;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace TLDsl.Runtime.Tests.Native;

/// <summary>Convs whose oneDNN backward gets the input gradient wrong (off, NaN, or different between identical
/// passes) run padded, and give float64's values and gradients on every pass.</summary>
public sealed class PaddedConvolutionTests
{
    [Theory]
    [InlineData(3, 8, 3, 1, 2)]  // the ONNX fixture's first conv
    [InlineData(8, 8, 2, 0, 1)]  // its 2x2 branch
    [InlineData(8, 4, 3, 1, 1)]
    [InlineData(16, 12, 3, 1, 1)]
    [InlineData(16, 24, 3, 1, 1)]
    public void A_padded_conv_matches_float64_on_every_pass(int inC, int outC, int kernel, int padding, int stride)
    {
        using var scope = NewDisposeScope();
        manual_seed(11);
        using var conv = nn.Conv2d(inC, outC, kernel, stride: stride, padding: padding);
        Assert.True(PaddedConvolution.Applies(conv));
        var x = randn(16, inC, 33, 33);
        long size = ((33 + (2 * padding) - kernel) / stride) + 1;
        var upstream = randn(16, outC, size, size);

        // Independent reference: the same convolution in float64 (libtorch does not use oneDNN for it).
        var x64 = x.to_type(ScalarType.Float64).requires_grad_();
        var w64 = conv.weight!.detach().to_type(ScalarType.Float64).requires_grad_();
        var b64 = conv.bias!.detach().to_type(ScalarType.Float64).requires_grad_();
        var y64 = F.conv2d(x64, w64, b64, [stride, stride], [padding, padding]);
        y64.backward([upstream.to_type(ScalarType.Float64)]);

        for (int pass = 0; pass < 30; pass++)
        {
            using var passScope = NewDisposeScope();
            conv.zero_grad();
            var input = x.clone().requires_grad_();
            var y = PaddedConvolution.Forward(conv, input);
            Assert.Equal(y64.shape, y.shape);
            y.backward([upstream]);
            AssertClose(y64, y, $"pass {pass}: output");
            AssertClose(x64.grad!, input.grad!, $"pass {pass}: input gradient");
            AssertClose(w64.grad!, conv.weight!.grad!, $"pass {pass}: weight gradient");
            AssertClose(b64.grad!, conv.bias!.grad!, $"pass {pass}: bias gradient");
        }
    }

    [Theory]
    [InlineData(8, 16, 3, 1)]   // a multiple of 16: oneDNN needs no padding
    [InlineData(64, 128, 3, 1)]
    [InlineData(8, 8, 1, 1)]    // 1x1 convs were right on every pass
    [InlineData(8, 8, 3, 8)]    // depthwise
    public void Other_convs_run_as_they_are(int inC, int outC, int kernel, int groups)
    {
        using var conv = nn.Conv2d(inC, outC, kernel, groups: groups);
        Assert.False(PaddedConvolution.Applies(conv));
        using var scope = NewDisposeScope();
        var x = randn(2, inC, 9, 9);
        Assert.True(PaddedConvolution.Forward(conv, x).eq(conv.call(x)).all().item<bool>());
    }

    public static TheoryData<string> CatalogueModels => new(ModelZoo.All.Select(a => a.Name).Order(StringComparer.Ordinal));

    /// <summary>Catalogue models call their convs directly (only imported graphs go through PaddedConvolution): none
    /// may have a conv that needs it.</summary>
    [Theory]
    [MemberData(nameof(CatalogueModels))]
    public void No_catalogue_model_has_a_conv_that_needs_padding(string name)
    {
        using var model = ModelZoo.Get(name).Factory();
        var convs = model.named_modules().Where(m => m.module is TorchSharp.Modules.Conv2d).ToList();
        Assert.NotEmpty(convs);
        Assert.All(convs, m => Assert.False(PaddedConvolution.Applies((TorchSharp.Modules.Conv2d)m.module), $"{name}: {m.name}"));
    }

    private static void AssertClose(Tensor expected, Tensor actual, string what)
    {
        using var scope = NewDisposeScope();
        Assert.True(actual.isfinite().all().item<bool>(), $"{what} holds a non-finite value");
        double scale = expected.abs().max().item<double>();
        double difference = (actual.to_type(ScalarType.Float64) - expected).abs().max().item<double>();
        Assert.True(difference <= 1e-5 * scale, $"{what}: largest difference {difference:G3} of {scale:G3}");
    }
}
