using System;
using TLDsl.Spec.Tests.Support;
using TLDsl.Spec.Validation;

namespace TLDsl.Spec.Tests.Validation;

/// <summary>KeyLimits hands code (the runtime's check of a plan edited in code) the limits validation applies to YAML:
/// the same accept/reject decision and the same wording.</summary>
public class KeyLimitsTests
{
    private const string Pipeline =
        "version: 1\n" +
        "base: { model: resnet18_imagenet, weights: imagenet }\n" +
        "labels: [a, b]\n" +
        "head: [linear: labels]\n" +
        "data: { train: { folder: data/train }, valid: { split: 0.2 } }\n" +
        "train:\n" +
        "  phases:\n" +
        "    - { epochs: 1 }\n";

    [Theory]
    [InlineData("train.batch", "  batch: {0}\n", "0", 0)]
    [InlineData("train.batch", "  batch: {0}\n", "65537", 65537)]
    [InlineData("train.accumulate", "  accumulate: {0}\n", "-3", -3)]
    [InlineData("train.seed", "  seed: {0}\n", "-1", -1)]
    [InlineData("train.optimizer.adamw.lr", "  optimizer: {{ adamw: {{ lr: {0} }} }}\n", "1e39", 1e39)]
    [InlineData("train.optimizer.sgd.lr", "  optimizer: {{ sgd: {{ lr: {0} }} }}\n", "0", 0)]
    [InlineData("train.optimizer.adam.weight_decay", "  optimizer: {{ adam: {{ weight_decay: {0} }} }}\n", "1e-320", 1e-320)]
    [InlineData("train.optimizer.adam.betas", "  optimizer: {{ adam: {{ betas: [0.9, {0}] }} }}\n", "1", 1)]
    [InlineData("train.loss.cross_entropy.class_weights", "  loss: {{ cross_entropy: {{ class_weights: [1, {0}] }} }}\n", "0", 0)]
    [InlineData("train.clip_grad_norm", "  clip_grad_norm: {0}\n", "1e7", 1e7)]
    [InlineData("train.phases.epochs", "    - {{ epochs: {0} }}\n", "-1", -1)]
    [InlineData("train.phases.lr", "    - {{ epochs: 1, lr: {0} }}\n", "1e39", 1e39)]
    [InlineData("train.phases.schedule.step.gamma", "    - {{ epochs: 1, schedule: {{ step: {{ step_size: 1, gamma: {0} }} }} }}\n", "2", 2)]
    [InlineData("train.early_stopping.patience", "  early_stopping: {{ patience: {0} }}\n", "0", 0)]
    public void A_value_validation_rejects_is_refused_with_the_same_words(string key, string line, string text, double value)
    {
        var result = Parse.Text(Pipeline + string.Format(System.Globalization.CultureInfo.InvariantCulture, line, text));
        Assert.Null(result.Spec);
        var diagnostic = Parse.Single(result, "TLD0008");
        Assert.Contains(" must be " + KeyLimits.Expectation(key) + ", but is " + text, diagnostic.Message, StringComparison.Ordinal);
        Assert.False(KeyLimits.Allows(key, value));
    }

    [Theory]
    [InlineData("train.batch", 1)]
    [InlineData("train.batch", 65536)]
    [InlineData("train.optimizer.adamw.lr", 1e38)]
    [InlineData("train.optimizer.adamw.lr", 1e-12)]
    [InlineData("train.optimizer.adamw.weight_decay", 0)]
    [InlineData("train.phases.epochs", 100000)]
    [InlineData("train.phases.lr", 0.5)]
    [InlineData("train.seed", 2147483647)]
    public void Limits_themselves_are_allowed(string key, double value) => Assert.True(KeyLimits.Allows(key, value));

    [Theory]
    [InlineData("train.optimizer.adamw.lr", double.NaN)]
    [InlineData("train.optimizer.adamw.lr", double.PositiveInfinity)]
    [InlineData("train.seed", double.PositiveInfinity)]
    [InlineData("train.seed", 2147483648d)]
    [InlineData("train.batch", 1.5)]
    [InlineData("data.augment.color_jitter.hue", 0.6)]
    public void Nan_infinity_fractions_of_integers_and_out_of_range_values_are_not_allowed(string key, double value) =>
        Assert.False(KeyLimits.Allows(key, value));

    [Fact]
    public void Expectations_and_words_come_from_the_key_table()
    {
        Assert.Equal("an integer >= 1 and <= 65536", KeyLimits.Expectation("train.batch"));
        Assert.Equal("a number >= 1e-12 and <= 1e38", KeyLimits.Expectation("train.optimizer.sgd.lr"));
        Assert.Equal("a number >= 0 and <= 0.5", KeyLimits.Expectation("data.augment.color_jitter.hue"));
        Assert.Equal(new[] { "valid.loss", "valid.accuracy", "valid.macro_f1", "train.loss", "train.accuracy" }, KeyLimits.Words("train.early_stopping.metric"));
        Assert.Equal(1_048_576, KeyLimits.MaxEffectiveBatch);
        Assert.Equal(100_000, KeyLimits.MaxTotalEpochs);
        Assert.Equal(int.MaxValue, KeyLimits.MaxBatchValues);
    }

    [Theory]
    [InlineData("train.batchsize")]
    [InlineData("train.runs")]
    [InlineData("train.optimizer.rmsprop.lr")]
    [InlineData("")]
    public void Unknown_or_non_numeric_keys_are_a_programming_error(string key)
    {
        Assert.Throws<ArgumentException>(() => KeyLimits.Allows(key, 1));
        Assert.Throws<ArgumentException>(() => KeyLimits.Expectation(key));
    }
}
