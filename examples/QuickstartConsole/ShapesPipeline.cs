using TLDsl;

namespace QuickstartConsole;

/// <summary>The same kind of pipeline declared with attributes: the generator adds identity members to this class and
/// emits ShapesModel and ShapesLabel next to it.</summary>
[TransferPipeline("Shapes", Description = "A small attribute-declared pipeline")]
[BaseModel("resnet18")]
[Drop("fc")]
[Input(64, 64)]
[Labels("circle", "square", "triangle")]
[Dropout(1, 0.2)]
[LinearLabels(2)]
[Freeze(Backbone = true)]
[Train(Batch = 8, Lr = 0.01, Epochs = 1)]
internal static partial class ShapesPipeline
{
}
