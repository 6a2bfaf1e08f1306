using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;

namespace TLDsl.Runtime.Models;

/// <summary>Every base architecture TLDsl can build, by catalogue name.</summary>
public static class ModelZoo
{
    private static readonly LayoutStep[] ResNetLayout =
    [
        LayoutStep.Child("conv1"), LayoutStep.Child("bn1"), LayoutStep.Child("relu"), LayoutStep.Child("maxpool"),
        LayoutStep.Child("layer1"), LayoutStep.Child("layer2"), LayoutStep.Child("layer3"), LayoutStep.Child("layer4"),
        LayoutStep.Child("avgpool"), LayoutStep.Flatten(), LayoutStep.Child("fc"),
    ];

    private static readonly LayoutStep[] HeadlessResNetLayout = ResNetLayout[..^1];

    private static readonly LayoutStep[] PooledClassifierLayout =
        [LayoutStep.Child("features"), LayoutStep.Child("avgpool"), LayoutStep.Flatten(), LayoutStep.Child("classifier")];

    private static readonly LayoutStep[] MobileNetV2Layout =
        [LayoutStep.Child("features"), LayoutStep.Pool(), LayoutStep.Flatten(), LayoutStep.Child("classifier")];

    private static readonly LayoutStep[] SmallCnnLayout =
    [
        LayoutStep.Child("conv1"), LayoutStep.Child("bn1"), LayoutStep.Child("relu1"), LayoutStep.Child("pool1"),
        LayoutStep.Child("conv2"), LayoutStep.Child("bn2"), LayoutStep.Child("relu2"), LayoutStep.Child("pool2"),
        LayoutStep.Child("conv3"), LayoutStep.Child("bn3"), LayoutStep.Child("relu3"),
        LayoutStep.Child("avgpool"), LayoutStep.Flatten(), LayoutStep.Child("classifier"),
    ];

    /// <summary>Fashion-MNIST's training-set pixel mean and standard deviation (grayscale, [0, 1]), the statistics
    /// small_cnn is meant to be trained with.</summary>
    public static readonly Normalization FashionMnist = new MeanStdNormalization([0.2860f], [0.3530f]);

    /// <summary>The means of the offline ImageNet ResNet-18's preprocessing (BGR order, 0–255 scale), as read from
    /// the package's ResNetPreprocess.onnx.</summary>
    public static readonly float[] ImageNetResNet18BgrMean = [.. Weights.ImageNetResNet18Weights.BgrChannelMeans];

    // The package's ResNetPreprocess.onnx subtracts a 224x224 mean image: exact at that size, channel means elsewhere.
    private static readonly Lazy<float[]> ImageNetMeanImage = new(() =>
    {
        using var mean = Weights.ImageNetResNet18Weights.LoadMeanImage(Weights.ImageNetResNet18Weights.LocatePreprocess());
        return mean.contiguous().data<float>().ToArray();
    });

    private static readonly BgrMeanNormalization ImageNetResNet18Normalization = new(ImageNetResNet18BgrMean)
    {
        MeanImage = () => ImageNetMeanImage.Value,
        MeanImageSize = Weights.ImageNetResNet18Weights.InputSize,
    };

    private static readonly Dictionary<string, BaseArchitecture> ByName = new BaseArchitecture[]
    {
        ResNet("resnet18", false, [2, 2, 2, 2], "torchvision ResNet-18"),
        ResNet("resnet34", false, [3, 4, 6, 3], "torchvision ResNet-34"),
        ResNet("resnet50", true, [3, 4, 6, 3], "torchvision ResNet-50"),
        new("resnet18_imagenet", "resnet", 224, HeadlessResNetLayout, null, ImageNetResNet18Normalization,
            [new NamedWeights("imagenet", ImageNetResNet18Normalization,
                "ImageNet weights of the ResNet-18 in NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18 (headless; layer4 has three blocks)")],
            "headless ResNet-18 with blocks [2,2,2,3], as in the offline ImageNet ONNX featurizer (512 pooled features)",
            () => new ResNet("resnet18_imagenet", false, [2, 2, 2, 3], numClasses: 0)),
        Torchvision("mobilenet_v2", "mobilenet", MobileNetV2Layout, "classifier.1", () => torchvision.models.mobilenet_v2()),
        Torchvision("mobilenet_v3_small", "mobilenet", PooledClassifierLayout, "classifier.3", () => torchvision.models.mobilenet_v3_small()),
        Torchvision("mobilenet_v3_large", "mobilenet", PooledClassifierLayout, "classifier.3", () => torchvision.models.mobilenet_v3_large()),
        Torchvision("vgg11", "vgg", PooledClassifierLayout, "classifier.6", () => torchvision.models.vgg11()),
        Torchvision("vgg13", "vgg", PooledClassifierLayout, "classifier.6", () => torchvision.models.vgg13()),
        Torchvision("vgg16", "vgg", PooledClassifierLayout, "classifier.6", () => torchvision.models.vgg16()),
        Torchvision("alexnet", "alexnet", PooledClassifierLayout, "classifier.6", () => torchvision.models.alexnet()),
        new("small_cnn", "cnn", 28, SmallCnnLayout, "classifier", FashionMnist, [],
            "small CNN for 28x28 grayscale: three 3x3 conv stages (32, 64, 128) with BatchNorm, global average pool, linear classifier",
            () => new SmallCnn("small_cnn"))
        {
            InputChannels = SmallCnn.InputChannels,
            Stages = [["conv1", "bn1", "relu1", "pool1"], ["conv2", "bn2", "relu2", "pool2"], ["conv3", "bn3", "relu3"]],
        },
    }.ToDictionary(a => a.Name, StringComparer.Ordinal);

    /// <summary>All architectures, by name.</summary>
    public static IReadOnlyCollection<BaseArchitecture> All => ByName.Values;

    /// <summary>The architecture called <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">Unknown name; the message lists the known ones.</exception>
    public static BaseArchitecture Get(string name) =>
        ByName.TryGetValue(name, out var a) ? a
        : throw new KeyNotFoundException($"unknown base model '{name}'; known: {string.Join(", ", ByName.Keys.Order(StringComparer.Ordinal))}");

    /// <summary>Looks an architecture up without throwing.</summary>
    public static bool TryGet(string name, out BaseArchitecture? architecture) => ByName.TryGetValue(name, out architecture);

    private static BaseArchitecture ResNet(string name, bool bottleneck, int[] blocks, string description) =>
        new(name, "resnet", 224, ResNetLayout, "fc", Normalization.ImageNet, [], description,
            () => new ResNet(name, bottleneck, blocks));

    private static BaseArchitecture Torchvision(string name, string family, LayoutStep[] layout, string classifier,
        Func<torch.nn.Module<torch.Tensor, torch.Tensor>> factory) =>
        new(name, family, 224, layout, classifier, Normalization.ImageNet, [], $"torchvision {name} (TorchVision 0.107)", factory);
}
