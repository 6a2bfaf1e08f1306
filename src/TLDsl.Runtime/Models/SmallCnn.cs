using System;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TLDsl.Runtime.Models;

/// <summary>
/// A small convolutional network for 28x28 grayscale images (Fashion-MNIST, MNIST): three 3x3 convolution stages
/// (32, 64, 128 channels, each with BatchNorm and ReLU; the first two end in a 2x2 max pool), a global average pool
/// and a linear <c>classifier</c>. About 94k parameters: it trains from scratch on two CPU cores in minutes, which
/// makes it the base model for "pre-train on some classes, transfer to others" experiments without a download.
/// </summary>
public sealed class SmallCnn : Module<Tensor, Tensor>
{
    /// <summary>Input channels (grayscale).</summary>
    public const int InputChannels = 1;

    /// <summary>Features after the global pool, i.e. what the classifier receives.</summary>
    public const int FeatureSize = 128;

    // Field names are the state-dict keys (RegisterComponents registers fields by name); children are top-level so
    // that drop, cut_at and layer patterns can name each of them.
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly ReLU relu1;
    private readonly MaxPool2d pool1;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    private readonly ReLU relu2;
    private readonly MaxPool2d pool2;
    private readonly Conv2d conv3;
    private readonly BatchNorm2d bn3;
    private readonly ReLU relu3;
    private readonly AdaptiveAvgPool2d avgpool;
    private readonly Linear classifier;

    /// <summary>Builds the network with Kaiming-initialised convolutions.</summary>
    /// <param name="name">The module name.</param>
    /// <param name="numClasses">Outputs of <c>classifier</c>.</param>
    public SmallCnn(string name, int numClasses = 10) : base(name)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(numClasses, 1);
        conv1 = Conv2d(InputChannels, 32, 3, padding: 1, bias: false);
        bn1 = BatchNorm2d(32);
        relu1 = ReLU();
        pool1 = MaxPool2d(2);
        conv2 = Conv2d(32, 64, 3, padding: 1, bias: false);
        bn2 = BatchNorm2d(64);
        relu2 = ReLU();
        pool2 = MaxPool2d(2);
        conv3 = Conv2d(64, FeatureSize, 3, padding: 1, bias: false);
        bn3 = BatchNorm2d(FeatureSize);
        relu3 = ReLU();
        avgpool = AdaptiveAvgPool2d(new long[] { 1, 1 });
        classifier = Linear(FeatureSize, numClasses);
        RegisterComponents();
        using var noGrad = torch.no_grad();
        foreach (var conv in new[] { conv1, conv2, conv3 })
        {
            init.kaiming_normal_(conv.weight, mode: init.FanInOut.FanOut, nonlinearity: init.NonlinearityType.ReLU);
        }
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = pool1.call(relu1.call(bn1.call(conv1.call(input))));
        x = pool2.call(relu2.call(bn2.call(conv2.call(x))));
        x = relu3.call(bn3.call(conv3.call(x)));
        return classifier.call(avgpool.call(x).flatten(1)).MoveToOuterDisposeScope();
    }
}
