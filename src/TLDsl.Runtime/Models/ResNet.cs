using System;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TLDsl.Runtime.Models;

/// <summary>
/// A ResNet whose module tree and state-dict keys are exactly torchvision's (conv1, bn1, layer1..4, fc), with the
/// number of blocks per stage as a parameter — the offline ImageNet ResNet-18 has three blocks in layer4.
/// </summary>
public sealed class ResNet : Module<Tensor, Tensor>
{
    // Field names are the state-dict keys (TorchSharp's RegisterComponents registers fields by name).
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly ReLU relu;
    private readonly MaxPool2d maxpool;
    private readonly Sequential layer1;
    private readonly Sequential layer2;
    private readonly Sequential layer3;
    private readonly Sequential layer4;
    private readonly AdaptiveAvgPool2d avgpool;
    private readonly Linear? fc;

    /// <summary>Builds the network with random (Kaiming) initialisation, as torchvision does.</summary>
    /// <param name="name">The module name.</param>
    /// <param name="bottleneck">Bottleneck blocks (ResNet-50 and deeper) instead of basic blocks.</param>
    /// <param name="blocks">Blocks in layer1..layer4, e.g. [2,2,2,2] for ResNet-18.</param>
    /// <param name="numClasses">Outputs of <c>fc</c>; 0 builds a headless network (no <c>fc</c>) that returns the
    /// pooled features, like the offline ImageNet featurizer.</param>
    public ResNet(string name, bool bottleneck, int[] blocks, int numClasses = 1000) : base(name)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        if (blocks.Length != 4)
        {
            throw new ArgumentException("a ResNet has four stages", nameof(blocks));
        }
        int expansion = bottleneck ? 4 : 1;
        conv1 = Conv2d(3, 64, 7, stride: 2, padding: 3, bias: false);
        bn1 = BatchNorm2d(64);
        relu = ReLU(inplace: true);
        maxpool = MaxPool2d(3, stride: 2, padding: 1);
        int inplanes = 64;
        layer1 = Stage(ref inplanes, 64, blocks[0], 1, bottleneck, expansion);
        layer2 = Stage(ref inplanes, 128, blocks[1], 2, bottleneck, expansion);
        layer3 = Stage(ref inplanes, 256, blocks[2], 2, bottleneck, expansion);
        layer4 = Stage(ref inplanes, 512, blocks[3], 2, bottleneck, expansion);
        avgpool = AdaptiveAvgPool2d(new long[] { 1, 1 });
        fc = numClasses > 0 ? Linear(512 * expansion, numClasses) : null;
        RegisterComponents();
        Initialise();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = maxpool.call(relu.call(bn1.call(conv1.call(input))));
        x = layer4.call(layer3.call(layer2.call(layer1.call(x))));
        x = avgpool.call(x).flatten(1);
        return (fc is null ? x : fc.call(x)).MoveToOuterDisposeScope();
    }

    private static Sequential Stage(ref int inplanes, int planes, int count, int stride, bool bottleneck, int expansion)
    {
        var modules = new (string, Module<Tensor, Tensor>)[count];
        for (int i = 0; i < count; i++)
        {
            int s = i == 0 ? stride : 1;
            Module<Tensor, Tensor>? downsample = null;
            if (i == 0 && (stride != 1 || inplanes != planes * expansion))
            {
                downsample = Sequential(
                    ("0", Conv2d(inplanes, planes * expansion, 1, stride: stride, bias: false)),
                    ("1", BatchNorm2d(planes * expansion)));
            }
            modules[i] = (i.ToString(System.Globalization.CultureInfo.InvariantCulture), bottleneck
                ? new Bottleneck($"bottleneck{i}", inplanes, planes, s, downsample)
                : new BasicBlock($"basic{i}", inplanes, planes, s, downsample));
            inplanes = planes * expansion;
        }
        return Sequential(modules);
    }

    private void Initialise()
    {
        using var noGrad = torch.no_grad();
        foreach (var (_, m) in named_modules())
        {
            switch (m)
            {
                case Conv2d c:
                    init.kaiming_normal_(c.weight, mode: init.FanInOut.FanOut, nonlinearity: init.NonlinearityType.ReLU);
                    break;
                case BatchNorm2d b:
                    init.ones_(b.weight);
                    init.zeros_(b.bias);
                    break;
            }
        }
    }
}

/// <summary>The two-convolution residual block of ResNet-18/34 (torchvision names: conv1, bn1, conv2, bn2, downsample).</summary>
internal sealed class BasicBlock : Module<Tensor, Tensor>
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly ReLU relu;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    private readonly Module<Tensor, Tensor>? downsample;

    public BasicBlock(string name, int inplanes, int planes, int stride, Module<Tensor, Tensor>? downsample) : base(name)
    {
        conv1 = Conv2d(inplanes, planes, 3, stride: stride, padding: 1, bias: false);
        bn1 = BatchNorm2d(planes);
        relu = ReLU(inplace: true);
        conv2 = Conv2d(planes, planes, 3, stride: 1, padding: 1, bias: false);
        bn2 = BatchNorm2d(planes);
        this.downsample = downsample;
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var identity = downsample is null ? input : downsample.call(input);
        var x = relu.call(bn1.call(conv1.call(input)));
        x = bn2.call(conv2.call(x));
        return relu.call(x.add_(identity)).MoveToOuterDisposeScope();
    }
}

/// <summary>The 1x1-3x3-1x1 block of ResNet-50 and deeper (stride on the 3x3, as torchvision's v1.5).</summary>
internal sealed class Bottleneck : Module<Tensor, Tensor>
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    private readonly Conv2d conv3;
    private readonly BatchNorm2d bn3;
    private readonly ReLU relu;
    private readonly Module<Tensor, Tensor>? downsample;

    public Bottleneck(string name, int inplanes, int planes, int stride, Module<Tensor, Tensor>? downsample) : base(name)
    {
        conv1 = Conv2d(inplanes, planes, 1, bias: false);
        bn1 = BatchNorm2d(planes);
        conv2 = Conv2d(planes, planes, 3, stride: stride, padding: 1, bias: false);
        bn2 = BatchNorm2d(planes);
        conv3 = Conv2d(planes, planes * 4, 1, bias: false);
        bn3 = BatchNorm2d(planes * 4);
        relu = ReLU(inplace: true);
        this.downsample = downsample;
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var identity = downsample is null ? input : downsample.call(input);
        var x = relu.call(bn1.call(conv1.call(input)));
        x = relu.call(bn2.call(conv2.call(x)));
        x = bn3.call(conv3.call(x));
        return relu.call(x.add_(identity)).MoveToOuterDisposeScope();
    }
}
