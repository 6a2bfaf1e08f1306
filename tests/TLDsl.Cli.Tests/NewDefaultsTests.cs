using System;
using System.Globalization;
using System.IO;
using System.Text.RegularExpressions;
using System.Threading.Tasks;

namespace TLDsl.Cli.Tests;

/// <summary>
/// What <c>tldsl new</c> scaffolds trains well on a small folder at the first try (issue #17: 3 epochs of 6 steps gave
/// 60% on three textures). Each case writes procedural textures (20 per class to train and validate, 30 per class to
/// test), runs <c>tldsl new</c> and <c>tldsl train</c> as a user would, and reads the test accuracy (chance: 1/3).
/// </summary>
public sealed class NewDefaultsTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("tldsl-new-defaults").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    // The ImageNet ResNet-18 with the fine_tune recipe, at 64 pixels to keep the unfrozen epochs short on a CPU.
    [InlineData("resnet18_imagenet", "64", 0.9)]
    // small_cnn has no named weights: trained from scratch at its 28 pixels.
    [InlineData("small_cnn", null, 0.7)]
    public async Task A_scaffolded_pipeline_learns_three_textures_from_20_images_each(string model, string? size, double atLeast)
    {
        TextureFolders.Write(Path.Combine(_folder, "textures"), perClass: 20, seed: 1);
        TextureFolders.Write(Path.Combine(_folder, "test"), perClass: 30, seed: 2);
        string pipeline = Path.Combine(_folder, "textures.tl.yaml");
        string[] args = size is null
            ? ["new", "--data", Path.Combine(_folder, "textures"), "--test", Path.Combine(_folder, "test"), "--model", model, "--out", pipeline]
            : ["new", "--data", Path.Combine(_folder, "textures"), "--test", Path.Combine(_folder, "test"), "--model", model, "--out", pipeline, "--size", size];
        var scaffolded = await CliProcess.RunAsync(null, args);
        Assert.True(scaffolded.ExitCode == 0, scaffolded.ToString());
        string yaml = File.ReadAllText(pipeline);
        // 48 training images at batch 32 are 2 steps an epoch: the epochs are sized for ~100 head steps.
        Assert.Contains(model == "small_cnn" ? "epochs: 100" : "recipe: { fine_tune: { freeze_epochs: 50, epochs: 5 } }", yaml, StringComparison.Ordinal);

        var trained = await CliProcess.RunAsync(null, "train", pipeline);
        Assert.True(trained.ExitCode == 0, trained.ToString());
        var match = Regex.Match(trained.Stdout, @"test accuracy: ([0-9.]+) \(90 images");
        Assert.True(match.Success, trained.ToString());
        double accuracy = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(accuracy >= atLeast, $"{model}: test accuracy {accuracy}, expected at least {atLeast}\n{trained}");
    }
}
