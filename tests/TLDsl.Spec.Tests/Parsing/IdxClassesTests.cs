using System;
using System.Linq;
using TLDsl.Spec.Tests.Support;

namespace TLDsl.Spec.Tests.Parsing;

/// <summary><c>idx.classes</c>: a subset of an IDX file's classes, mapped onto the labels in order.</summary>
public class IdxClassesTests
{
    private const string Pipeline =
        "version: 1\n" +
        "base: { model: small_cnn, weights: none, drop: classifier }\n" +
        "labels: [sandal, shirt, sneaker]\n" +
        "head: [linear: labels]\n" +
        "data:\n" +
        "  train: { idx: { images: tr-i.gz, labels: tr-l.gz, classes: [5, 6, 7] } }\n" +
        "  valid: { idx: { images: va-i.gz, labels: va-l.gz, classes: [5, 6, 7] } }\n" +
        "  test: { idx: { images: te-i.gz, labels: te-l.gz } }\n" +
        "train: { epochs: 1 }\n";

    [Fact]
    public void Classes_are_read_per_source_and_absent_means_empty()
    {
        var result = Parse.Text(Pipeline);
        Assert.True(result.Spec is not null, Parse.Format(result));
        var data = result.Spec!.Data!;
        Assert.Equal(new[] { 5, 6, 7 }, data.Train.Classes.ToArray());
        Assert.Equal(new[] { 5, 6, 7 }, data.Valid!.Classes.ToArray());
        Assert.True(data.Test!.Classes.IsEmpty);
        Assert.Equal(data.Train, Parse.Text(Pipeline).Spec!.Data!.Train); // value equality, as the generator's caching needs
    }

    [Theory]
    [InlineData("[5, -1, 7]", "TLD0008", "data.train.idx.classes[1] must be")]
    [InlineData("[5, 256, 7]", "TLD0008", "data.train.idx.classes[1] must be")]
    [InlineData("[5, 6.5, 7]", "TLD0007", "data.train.idx.classes[1] must be")]
    [InlineData("[]", "TLD0008", "data.train.idx.classes must be")]
    [InlineData("[5, 6]", "TLD0040", "data.train.idx.classes has 2 values")]
    public void Bad_classes_are_reported_at_the_key(string classes, string id, string start)
    {
        var result = Parse.Text(Pipeline.Replace("classes: [5, 6, 7] } }\n  valid", "classes: " + classes + " } }\n  valid", StringComparison.Ordinal));
        Assert.Null(result.Spec);
        var diagnostic = Parse.Single(result, id);
        Assert.StartsWith(start, diagnostic.Message, StringComparison.Ordinal);
        Assert.Equal(6, diagnostic.Span!.StartLine);
    }
}
