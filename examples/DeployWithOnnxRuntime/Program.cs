// Classifies images with an exported TLDsl model in ONNX Runtime, without TorchSharp:
//
//   tldsl export runs/MyPipeline/<time> --format onnx --out deploy
//   dotnet run --project examples/DeployWithOnnxRuntime -- deploy/model.onnx photo1.jpg photo2.png [--top 3]
//
// Output: one line per image, "image<TAB>label<TAB>probability" (as `tldsl predict` prints), then with --top N the N
// best as indented "label probability" lines. The labels, input size and normalisation come from the model's metadata;
// the images are decoded and preprocessed by the same code that evaluated the model during training.
//
// With the label enum the generator emits for the pipeline (FashionLabel, say), the same in typed form:
//
//   using var classifier = new OnnxImageClassifier<FashionLabel>("deploy/model.onnx");  // refuses a model with other labels
//   var result = classifier.Classify("photo.jpg", topK: 3);                              // result.Label is a FashionLabel

using System;
using System.Globalization;
using System.Linq;
using TLDsl.Inference;

if (args.Length < 2)
{
    Console.Error.WriteLine("usage: DeployWithOnnxRuntime <model.onnx> <image>... [--top N]");
    return 2;
}

int top = 1;
var images = args.Skip(1).ToList();
int flag = images.IndexOf("--top");
if (flag >= 0)
{
    if (flag + 1 >= images.Count || !int.TryParse(images[flag + 1], NumberStyles.None, CultureInfo.InvariantCulture, out top) || top < 1)
    {
        Console.Error.WriteLine("--top needs a positive number");
        return 2;
    }

    images.RemoveRange(flag, 2);
}

try
{
    using var classifier = OnnxImageClassifier.Open(args[0]);
    foreach (var result in classifier.Classify(images, top))
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{result.Image}\t{result.Label}\t{result.Probability:F4}"));
        if (top > 1)
        {
            foreach (var t in result.Top)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {t.Label} {t.Probability:F4}"));
            }
        }
    }

    return 0;
}
catch (Exception e) when (e is OnnxModelMetadataException or ImageDecodeException or System.IO.FileNotFoundException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}
