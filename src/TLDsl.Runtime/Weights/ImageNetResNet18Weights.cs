using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using TLDsl.Runtime.Onnx;
using TLDsl.Runtime.Onnx.Proto;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Weights;

/// <summary>
/// The offline ImageNet ResNet-18 shipped as <c>ResNet18.onnx</c> by the NuGet package
/// Microsoft.ML.DnnImageFeaturizer.ResNet18 0.23.1 (a CNTK export, IR 3, opset 8): where to find it, how its 110
/// initializers map to torchvision-style state-dict keys, and the preprocessing its weights expect.
/// </summary>
/// <remarks>
/// The network is torchvision's resnet18 design with <b>[2, 2, 2, 3]</b> BasicBlocks per stage (layer4 has a third
/// block) and no classifier: its output is the 512-d global average pool. Its weights expect planar <b>RGB 0–255</b>
/// pixels reordered to <b>BGR</b> with a mean subtracted per channel (exactly: a 224x224 mean image, see
/// <see cref="LoadMeanImage(string)"/>), and no division by a standard deviation.
/// </remarks>
public static class ImageNetResNet18Weights
{
    /// <summary>The NuGet package that ships the files.</summary>
    public const string PackageId = "Microsoft.ML.DnnImageFeaturizer.ResNet18";

    /// <summary>The package version whose files this mapping was made and tested against.</summary>
    public const string PackageVersion = "0.23.1";

    /// <summary>The network's file name, in the build output's <c>models/</c> folder and in the package.</summary>
    public const string FileName = "ResNet18.onnx";

    /// <summary>The preprocessing network's file name (RGB → BGR, minus the mean image).</summary>
    public const string PreprocessFileName = "ResNetPreprocess.onnx";

    /// <summary>SHA-256 of the package's ResNet18.onnx (63,653,533 bytes).</summary>
    public const string Sha256 = "e2552f19db2dfdb01b3669537b6a0f1b44da38d18279535492ed5dfc2ef1ff8f";

    /// <summary>Blocks per stage of the network in the file (torchvision's resnet18 has [2, 2, 2, 2]).</summary>
    public static IReadOnlyList<int> BlocksPerStage { get; } = [2, 2, 2, 3];

    /// <summary>The input size the ONNX graph was exported for; its asymmetric padding equals PyTorch's only at this size.</summary>
    public const int InputSize = 224;

    /// <summary>The width of the feature vector (global average pool of layer4).</summary>
    public const int FeatureSize = 512;

    /// <summary>The number of initializers in the file (all mapped one-to-one to state-dict keys).</summary>
    public const int InitializerCount = 110;

    /// <summary>The pixel range the weights expect: RGB values from 0 to this, not 0–1.</summary>
    public const float PixelScale = 255f;

    /// <summary>True: the network expects channels in B, G, R order; feed RGB and reorder (as ResNetPreprocess.onnx does).</summary>
    public const bool ExpectsBgr = true;

    /// <summary>
    /// The per-channel means (B, G, R order, 0–255 scale) of the mean image in ResNetPreprocess.onnx; subtracted after
    /// reordering to BGR, with no division by a standard deviation. Rounded to 1e-4; a test recomputes them from the file.
    /// </summary>
    public static IReadOnlyList<float> BgrChannelMeans { get; } = [103.0626f, 115.9029f, 123.1516f];

    /// <summary>
    /// Finds ResNet18.onnx: the application's output folder (<c>DnnImageModels/ResNet18Onnx/ResNet18.onnx</c>, copied
    /// there by the package's own build props, which every project that references TLDsl imports; or
    /// <c>models/ResNet18.onnx</c>, where earlier builds put it), then the NuGet package folder (<c>NUGET_PACKAGES</c>, else
    /// <c>~/.nuget/packages</c>).
    /// </summary>
    /// <exception cref="FileNotFoundException">The file is in none of these places; the message lists them.</exception>
    public static string Locate() => LocateFile(FileName, "ResNet18Onnx");

    /// <summary>Finds ResNetPreprocess.onnx, in the same places as <see cref="Locate"/>.</summary>
    /// <exception cref="FileNotFoundException">The file is in none of these places; the message lists them.</exception>
    public static string LocatePreprocess() => LocateFile(PreprocessFileName, "ResNetPrepOnnx");

    private static string LocateFile(string fileName, string packageFolder)
    {
        var nugetRoot = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        if (string.IsNullOrEmpty(nugetRoot))
        {
            var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            nugetRoot = string.IsNullOrEmpty(home) ? null : Path.Combine(home, ".nuget", "packages");
        }

        return LocateFile(fileName, packageFolder, AppContext.BaseDirectory, nugetRoot);
    }

    /// <summary>The search of <see cref="Locate"/> with explicit places (for tests).</summary>
    internal static string LocateFile(string fileName, string packageFolder, string outputDirectory, string? nugetRoot)
    {
        var candidates = new List<string>
        {
            Path.Combine(outputDirectory, "DnnImageModels", packageFolder, fileName),
            Path.Combine(outputDirectory, "models", fileName),
        };
        if (!string.IsNullOrEmpty(nugetRoot))
        {
            candidates.Add(Path.Combine(nugetRoot, PackageId.ToLowerInvariant(), PackageVersion, "tools", "DnnImageModels",
                packageFolder, fileName));
        }

        foreach (var candidate in candidates)
        {
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException(
            $"The ImageNet ResNet-18 file {fileName} was not found. It comes from the NuGet package {PackageId} " +
            $"{PackageVersion}: reference TLDsl (whose build copies it to DnnImageModels/{packageFolder}/{fileName} in the output), or add " +
            $"<PackageReference Include=\"{PackageId}\" Version=\"{PackageVersion}\" ExcludeAssets=\"all\" /> and restore. " +
            $"Looked in: {string.Join("; ", candidates)}",
            fileName);
    }

    /// <summary>
    /// Reads ResNet18.onnx and returns its weights under torchvision-style keys (conv1.weight, bn1.*, layerN.M.convK.weight,
    /// layerN.M.bnK.*, layerN.0.downsample.{0,1}.*), as new float32 tensors the caller owns. BatchNorm entries are
    /// weight, bias, running_mean and running_var; no num_batches_tracked and no fc.
    /// </summary>
    /// <param name="onnxPath">The ResNet18.onnx file, e.g. from <see cref="Locate"/>.</param>
    /// <exception cref="OnnxFormatException">The file is not the expected network.</exception>
    public static Dictionary<string, Tensor> LoadStateDict(string onnxPath)
    {
        var model = OnnxModelFile.Read(onnxPath);
        var mapping = MapInitializers(model);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var (onnxName, key) in mapping)
            {
                var tensor = model.ReadInitializer(onnxName);
                // CNTK stores BatchNorm parameters as [C]; conv weights are already [out, in, kh, kw].
                result.Add(key, tensor);
            }
        }
        catch
        {
            foreach (var tensor in result.Values)
            {
                tensor.Dispose();
            }

            throw;
        }

        return result;
    }

    /// <summary>The identity of <see cref="LoadStateDict"/>'s mapping in the weights cache: bump the version whenever the
    /// mapping's result could change, so that cached files of the old mapping are no longer found.</summary>
    internal const string CacheMappingId = "resnet18-imagenet-onnx.v1";

    /// <summary>
    /// <see cref="LoadStateDict"/> through the per-user weights cache (<see cref="MappedWeightsCache"/>): the first run
    /// maps the ONNX file and stores the result; later runs read it, keyed by the file's SHA-256 and the mapping version.
    /// </summary>
    /// <param name="onnxPath">The ResNet18.onnx file.</param>
    /// <param name="cacheFolder">The cache folder; by default <see cref="MappedWeightsCache.Folder"/> (null: no cache).</param>
    internal static MappedWeights LoadStateDictCached(string onnxPath, string? cacheFolder = null) =>
        MappedWeightsCache.Load(onnxPath, CacheMappingId, LoadStateDict, cacheFolder ?? MappedWeightsCache.Folder());

    /// <summary>
    /// Maps every initializer of the ResNet-18 graph to its torchvision-style key, found by walking the graph back from
    /// each residual Add (not by initializer order or names). The result is a bijection over all initializers.
    /// </summary>
    /// <param name="model">The parsed ResNet18.onnx.</param>
    /// <returns>ONNX initializer name → state-dict key, in network order.</returns>
    /// <exception cref="OnnxFormatException">The graph does not have the expected ResNet-18 structure.</exception>
    public static IReadOnlyList<KeyValuePair<string, string>> MapInitializers(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new ResNetGraphWalker(model).Map();
    }

    /// <summary>
    /// The exact mean image of ResNetPreprocess.onnx as a [3, 224, 224] float32 tensor in <b>B, G, R</b> channel order
    /// (0–255 scale): what the preprocessing subtracts after reordering RGB to BGR.
    /// </summary>
    /// <param name="preprocessOnnxPath">The ResNetPreprocess.onnx file, e.g. from <see cref="LocatePreprocess"/>.</param>
    public static Tensor LoadMeanImage(string preprocessOnnxPath)
    {
        var model = OnnxModelFile.Read(preprocessOnnxPath);
        var sub = model.Graph.Node.SingleOrDefault(n => n.OpType == "Sub")
            ?? throw new OnnxFormatException(model.FilePath, "expected exactly one Sub node (input minus mean image)");
        var meanName = sub.Input.FirstOrDefault(model.Initializers.ContainsKey)
            ?? throw new OnnxFormatException(model.FilePath, "the Sub node subtracts no initializer");
        using var mean = model.ReadInitializer(meanName);
        if (!mean.shape.SequenceEqual([1L, 3, InputSize, InputSize]))
        {
            throw new OnnxFormatException(model.FilePath, string.Create(CultureInfo.InvariantCulture,
                $"the mean image '{meanName}' has shape [{string.Join(", ", mean.shape)}], expected [1, 3, 224, 224]"));
        }

        return mean.reshape(3, InputSize, InputSize).clone();
    }

    /// <summary>Walks the CNTK ResNet-18 graph from each residual Add back to the convolutions and BatchNorms feeding it.</summary>
    private sealed class ResNetGraphWalker
    {
        private readonly OnnxModel _model;
        private readonly Dictionary<string, NodeProto> _producer = new(StringComparer.Ordinal);
        private readonly List<KeyValuePair<string, string>> _mapping = [];

        public ResNetGraphWalker(OnnxModel model)
        {
            _model = model;
            foreach (var node in model.Graph.Node)
            {
                foreach (var output in node.Output)
                {
                    _producer[output] = node;
                }
            }
        }

        private OnnxFormatException Error(string detail) =>
            new(_model.FilePath, $"not the expected ImageNet ResNet-18 graph: {detail}");

        private NodeProto Producer(string value, string expectedOp, string context)
        {
            if (!_producer.TryGetValue(value, out var node))
            {
                throw Error($"{context}: '{value}' is not produced by a node (expected {expectedOp})");
            }

            if (node.OpType != expectedOp)
            {
                throw Error($"{context}: '{value}' comes from {node.OpType} node '{node.Name}', expected {expectedOp}");
            }

            return node;
        }

        private bool TryProducer(string value, string expectedOp, out NodeProto node) =>
            _producer.TryGetValue(value, out node!) && node.OpType == expectedOp;

        public List<KeyValuePair<string, string>> Map()
        {
            var graphInput = _model.InputNames.Count == 1
                ? _model.InputNames[0]
                : throw Error($"expected one graph input, found {_model.InputNames.Count}");

            // Residual blocks, in graph (topological) order.
            var blocks = new List<Block>();
            foreach (var add in _model.Graph.Node.Where(n => n.OpType == "Add"))
            {
                blocks.Add(WalkBlock(add));
            }

            // The stem: the block chain starts at MaxPool(Relu(BN(Conv(input)))).
            var first = blocks.Count > 0 ? blocks[0] : throw Error("no residual Add nodes");
            var pool = Producer(first.Input, "MaxPool", "input of the first residual block");
            var stemRelu = Producer(pool.Input[0], "Relu", "stem");
            var stemBn = Producer(stemRelu.Input[0], "BatchNormalization", "stem");
            var stemConv = Producer(stemBn.Input[0], "Conv", "stem");
            if (stemConv.Input[0] != graphInput)
            {
                throw Error($"the stem convolution '{stemConv.Name}' does not read the graph input '{graphInput}'");
            }

            AddConv(stemConv, "conv1");
            AddBatchNorm(stemBn, "bn1");

            // Chain the blocks: each block reads Relu(previous block's Add).
            for (var i = 1; i < blocks.Count; i++)
            {
                var relu = Producer(blocks[i].Input, "Relu", $"input of residual block {i}");
                if (relu.Input[0] != blocks[i - 1].Add.Output[0])
                {
                    throw Error($"residual block {i} does not follow block {i - 1}");
                }
            }

            // Stages: a projection shortcut opens a new stage.
            var stage = 0;
            var index = 0;
            var perStage = new List<int>();
            for (var i = 0; i < blocks.Count; i++)
            {
                if (i > 0 && blocks[i].DownsampleConv is not null)
                {
                    stage++;
                    index = 0;
                }
                else if (i > 0)
                {
                    index++;
                }

                if (perStage.Count <= stage)
                {
                    perStage.Add(0);
                }

                perStage[stage]++;
                var prefix = string.Create(CultureInfo.InvariantCulture, $"layer{stage + 1}.{index}");
                AddConv(blocks[i].Conv1, prefix + ".conv1");
                AddBatchNorm(blocks[i].Bn1, prefix + ".bn1");
                AddConv(blocks[i].Conv2, prefix + ".conv2");
                AddBatchNorm(blocks[i].Bn2, prefix + ".bn2");
                if (blocks[i].DownsampleConv is { } dsConv)
                {
                    AddConv(dsConv, prefix + ".downsample.0");
                    AddBatchNorm(blocks[i].DownsampleBn!, prefix + ".downsample.1");
                }
            }

            if (!perStage.SequenceEqual(BlocksPerStage))
            {
                throw Error($"blocks per stage are [{string.Join(", ", perStage)}], expected [{string.Join(", ", BlocksPerStage)}]");
            }

            CheckBijection();
            return _mapping;
        }

        private Block WalkBlock(NodeProto add)
        {
            if (add.Input.Count != 2)
            {
                throw Error($"Add node '{add.Name}' has {add.Input.Count} inputs");
            }

            // The main branch is BN(Conv(Relu(BN(Conv(x))))); the shortcut is x or BN(Conv(x)).
            for (var main = 0; main < 2; main++)
            {
                if (!TryMainBranch(add.Input[main], out var branch))
                {
                    continue;
                }

                var shortcut = add.Input[1 - main];
                if (shortcut == branch.Input)
                {
                    return branch with { Add = add };
                }

                if (TryProducer(shortcut, "BatchNormalization", out var dsBn)
                    && TryProducer(dsBn.Input[0], "Conv", out var dsConv) && dsConv.Input[0] == branch.Input)
                {
                    return branch with { Add = add, DownsampleConv = dsConv, DownsampleBn = dsBn };
                }

                throw Error($"the shortcut of Add node '{add.Name}' is neither the block input nor BN(Conv(block input))");
            }

            throw Error($"neither input of Add node '{add.Name}' is a BasicBlock branch BN(Conv(Relu(BN(Conv(x)))))");
        }

        private bool TryMainBranch(string value, out Block block)
        {
            block = default!;
            if (TryProducer(value, "BatchNormalization", out var bn2) && TryProducer(bn2.Input[0], "Conv", out var conv2)
                && TryProducer(conv2.Input[0], "Relu", out var relu) && TryProducer(relu.Input[0], "BatchNormalization", out var bn1)
                && TryProducer(bn1.Input[0], "Conv", out var conv1))
            {
                block = new Block(conv1.Input[0], conv1, bn1, conv2, bn2, null!, null, null);
                return true;
            }

            return false;
        }

        private void AddConv(NodeProto conv, string key)
        {
            if (conv.Input.Count != 2)
            {
                throw Error($"Conv node '{conv.Name}' ({key}) has a bias or misses its weight; torchvision's ResNet convolutions have no bias");
            }

            var group = conv.Attribute.FirstOrDefault(a => a.Name == "group");
            if (group is not null && group.I != 1)
            {
                throw Error($"Conv node '{conv.Name}' ({key}) is grouped");
            }

            Add(conv.Input[1], key + ".weight", conv);
        }

        private void AddBatchNorm(NodeProto bn, string key)
        {
            if (bn.Input.Count != 5)
            {
                throw Error($"BatchNormalization node '{bn.Name}' ({key}) has {bn.Input.Count} inputs, expected 5");
            }

            var epsilon = bn.Attribute.FirstOrDefault(a => a.Name == "epsilon")?.F ?? 1e-5f;
            if (Math.Abs(epsilon - 1e-5f) > 1e-9f)
            {
                throw Error(string.Create(CultureInfo.InvariantCulture,
                    $"BatchNormalization node '{bn.Name}' ({key}) has epsilon {epsilon}, expected 1e-5 as torchvision"));
            }

            Add(bn.Input[1], key + ".weight", bn);
            Add(bn.Input[2], key + ".bias", bn);
            Add(bn.Input[3], key + ".running_mean", bn);
            Add(bn.Input[4], key + ".running_var", bn);
        }

        private void Add(string initializer, string key, NodeProto node)
        {
            if (!_model.Initializers.ContainsKey(initializer))
            {
                throw Error($"input '{initializer}' of node '{node.Name}' ({key}) is not an initializer");
            }

            _mapping.Add(new KeyValuePair<string, string>(initializer, key));
        }

        private void CheckBijection()
        {
            var byName = _mapping.GroupBy(p => p.Key, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
            if (byName is not null)
            {
                throw Error($"initializer '{byName.Key}' is used by {string.Join(" and ", byName.Select(p => p.Value))}");
            }

            var byKey = _mapping.GroupBy(p => p.Value, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
            if (byKey is not null)
            {
                throw Error($"key '{byKey.Key}' is mapped twice");
            }

            var unused = _model.InitializerNames.Except(_mapping.Select(p => p.Key), StringComparer.Ordinal).ToList();
            if (unused.Count > 0)
            {
                throw Error($"initializers not used by the ResNet structure: {string.Join(", ", unused)}");
            }
        }

        private sealed record Block(string Input, NodeProto Conv1, NodeProto Bn1, NodeProto Conv2, NodeProto Bn2,
            NodeProto Add, NodeProto? DownsampleConv, NodeProto? DownsampleBn);
    }
}
