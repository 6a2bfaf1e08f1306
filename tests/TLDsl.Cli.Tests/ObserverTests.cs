using System;
using System.IO;
using TLDsl.Cli.Reporting;
using TLDsl.Runtime.Reporting;

namespace TLDsl.Cli.Tests;

public sealed class ObserverTests
{
    private static readonly EpochRecord First = new(1, "head", 20, 1e-3, 0.41234, 0.85118, 0.44104, 0.84, 0.99, 0.839, 12.34, 4.06);
    private static readonly EpochRecord NoValid = new(2, "layer4", 40, 2.5e-5, 0.3, 0.9, null, null, null, null, 10, null);

    [Fact]
    public void Plain_lines_when_not_interactive()
    {
        var output = new StringWriter { NewLine = "\n" };
        var observer = new ConsoleTrainingObserver(output, interactive: false);
        Assert.False(observer.Interactive);

        observer.PhaseStarted("head", 0, 2, 1, cachedFeatures: true);
        for (int done = 0; done <= 100; done += 5)
        {
            observer.FeatureCaching(done, 100);
        }
        for (int b = 1; b <= 20; b++)
        {
            observer.BatchCompleted(1, b, 20, 0.5 + b / 100.0, 1e-3);
        }
        observer.EpochCompleted(First);
        observer.Message("checkpoint epoch-0001.ckpt written");
        observer.PhaseStarted("layer4", 1, 2, 1, cachedFeatures: false);
        observer.BatchCompleted(2, 1, 3, 0.3, 2.5e-5);
        observer.BatchCompleted(2, 2, 3, 0.3, 2.5e-5);
        observer.BatchCompleted(2, 3, 3, 0.3, 2.5e-5);
        observer.EpochCompleted(NoValid);
        observer.TrainingCompleted();

        string expected = string.Join("\n",
            "phase 1/2 head: 1 epoch, cached features",
            "caching features 10/100 (10%)", "caching features 20/100 (20%)", "caching features 30/100 (30%)",
            "caching features 40/100 (40%)", "caching features 50/100 (50%)", "caching features 60/100 (60%)",
            "caching features 70/100 (70%)", "caching features 80/100 (80%)", "caching features 90/100 (90%)",
            "caching features 100/100 (100%)",
            "epoch 1 batch 2/20 (10%) loss 0.5200 lr 1.000e-03", "epoch 1 batch 4/20 (20%) loss 0.5400 lr 1.000e-03",
            "epoch 1 batch 6/20 (30%) loss 0.5600 lr 1.000e-03", "epoch 1 batch 8/20 (40%) loss 0.5800 lr 1.000e-03",
            "epoch 1 batch 10/20 (50%) loss 0.6000 lr 1.000e-03", "epoch 1 batch 12/20 (60%) loss 0.6200 lr 1.000e-03",
            "epoch 1 batch 14/20 (70%) loss 0.6400 lr 1.000e-03", "epoch 1 batch 16/20 (80%) loss 0.6600 lr 1.000e-03",
            "epoch 1 batch 18/20 (90%) loss 0.6800 lr 1.000e-03",
            "epoch 1 [head] step 20 lr 1.000e-03 | train loss 0.4123 acc 0.8512 | valid loss 0.4410 acc 0.8400 top5 0.9900 f1 0.8390 | 12.3s (cache 4.1s)",
            "checkpoint epoch-0001.ckpt written",
            "phase 2/2 layer4: 1 epoch",
            "epoch 2 batch 1/3 (33%) loss 0.3000 lr 2.500e-05", "epoch 2 batch 2/3 (66%) loss 0.3000 lr 2.500e-05",
            "epoch 2 [layer4] step 40 lr 2.500e-05 | train loss 0.3000 acc 0.9000 | 10.0s",
            "");
        Assert.Equal(expected, output.ToString());
    }

    [Fact]
    public void Interactive_display_runs_on_any_writer_and_prints_epochs()
    {
        var output = new StringWriter { NewLine = "\n" };
        using (var observer = new ConsoleTrainingObserver(output, interactive: true))
        {
            Assert.True(observer.Interactive);
            observer.PhaseStarted("head", 0, 1, 2, cachedFeatures: true);
            observer.FeatureCaching(50, 100);
            observer.FeatureCaching(100, 100);
            for (int e = 1; e <= 2; e++)
            {
                for (int b = 1; b <= 5; b++)
                {
                    observer.BatchCompleted(e, b, 5, 0.5, 1e-3);
                }
                observer.EpochCompleted(First with { Epoch = e });
                observer.Message("message " + e);
            }
        }
        string text = output.ToString();
        Assert.Contains("phase 1/1 head", text, StringComparison.Ordinal);
        Assert.Contains("epoch 2 [head]", text, StringComparison.Ordinal);
        Assert.Contains("message 2", text, StringComparison.Ordinal);
    }
}
