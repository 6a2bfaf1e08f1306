using System;
using TLDsl.Runtime.Pipelines;

namespace TLDsl.Runtime.Tests.Surgery;

/// <summary>
/// An input too small for the model's layers is a PipelineException naming input.size and the model (issue #20),
/// not a libtorch error. Validation refuses such sizes for catalogue models (their files record each child's smallest
/// input); this is the backstop for what validation cannot see: ONNX bases and models built through the API.
/// </summary>
public class InputSizeTests
{
    [Fact]
    public void An_input_too_small_for_alexnet_names_input_size_and_the_model()
    {
        var e = Assert.Throws<PipelineException>(() => SurgeryTests.Build("alexnet", drop: ["classifier"], size: 16));
        Assert.StartsWith("input.size 16x16 is too small for 'alexnet' (libtorch: ", e.Message, StringComparison.Ordinal);
        Assert.EndsWith("Use a larger input.size; the model was trained at 224x224.", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_smallest_alexnet_input_still_builds()
    {
        using var model = SurgeryTests.Build("alexnet", drop: ["classifier"], size: 63);
        Assert.NotNull(model);
    }
}
