using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.ExceptionServices;
using System.Threading.Tasks;
using TLDsl.Inference;
using TLDsl.Runtime.Models;
using TLDsl.Spec.Model;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace TLDsl.Runtime.Data;

/// <summary>Turns images of an <see cref="IImageSource"/> into network input batches: decode (in parallel), augment
/// (training only), resize the shorter side to the target and centre-crop (bilinear, antialiased), adapt the channel
/// count, reorder to BGR if the weights want it, normalise. Without random augmentation (evaluation, prediction, and
/// training with none) every image goes through <see cref="EvaluationPreprocessing"/>, the managed implementation that
/// ONNX Runtime prediction shares; random augmentations run on tensors here.</summary>
public sealed class ImagePreprocessor
{
    private static readonly float[] GrayWeights = [0.2989f, 0.587f, 0.114f];

    private readonly Augmentation[] _augmentations;
    private readonly float[] _scale;
    private readonly float[] _shift;
    private readonly bool _reverseChannels;
    private readonly Lazy<EvaluationPreprocessing> _evaluation;

    /// <summary>Creates a preprocessor.</summary>
    /// <param name="size">The network input (height, width).</param>
    /// <param name="channels">What the network takes: 3 (1-channel images are repeated) or 1 (colour images become
    /// luminance).</param>
    /// <param name="normalization">The weights' preprocessing; its <see cref="Normalization.Affine"/> is applied last.</param>
    /// <param name="augmentations">Training-time augmentations, applied in this order.</param>
    public ImagePreprocessor((int Height, int Width) size, int channels, Normalization normalization, IReadOnlyList<Augmentation> augmentations)
    {
        ArgumentNullException.ThrowIfNull(normalization);
        ArgumentNullException.ThrowIfNull(augmentations);
        ArgumentOutOfRangeException.ThrowIfLessThan(size.Height, 1, nameof(size));
        ArgumentOutOfRangeException.ThrowIfLessThan(size.Width, 1, nameof(size));
        if (channels is not (1 or 3))
        {
            throw new ArgumentOutOfRangeException(nameof(channels), channels, "1 or 3 channels are supported.");
        }

        foreach (var augmentation in augmentations)
        {
            ArgumentNullException.ThrowIfNull(augmentation, nameof(augmentations));
            augmentation.Validate();
            _ = StageOf(augmentation);
            if (augmentation is PadCrop { Reflect: true } pad && pad.Padding >= Math.Min(size.Height, size.Width))
            {
                throw new ArgumentException($"pad_crop: a reflected padding must be smaller than the input's shorter side ({Math.Min(size.Height, size.Width)}), got {pad.Padding}.", nameof(augmentations));
            }
        }

        Size = size;
        Channels = channels;
        Normalization = normalization;
        _augmentations = [.. augmentations];
        var (scale, shift, reverse) = normalization.Affine();
        if (scale.Length != shift.Length || (scale.Length != channels && scale.Length != 1 && channels != 1))
        {
            throw new ArgumentException(
                $"The normalisation has {scale.Length} channel statistics; the network takes {channels} channels.", nameof(normalization));
        }

        // A 1-channel network with 3-channel statistics: the luminance is a weighted mean of R, G, B, so use the mean statistics.
        _scale = channels == 1 && scale.Length != 1 ? [scale.Average()] : scale.Length == 1 ? Enumerable.Repeat(scale[0], channels).ToArray() : [.. scale];
        _shift = channels == 1 && shift.Length != 1 ? [shift.Average()] : shift.Length == 1 ? Enumerable.Repeat(shift[0], channels).ToArray() : [.. shift];
        _reverseChannels = reverse && channels == 3;
        // Lazy: the offline ImageNet weights' mean image is read only when an image is first prepared.
        _evaluation = new(() => new EvaluationPreprocessing(size.Height, size.Width, channels, scale, shift, reverse,
            normalization.PixelShift(size.Height, size.Width)));
    }

    /// <summary>The evaluation preprocessing (no augmentation) as the managed implementation that ONNX Runtime
    /// prediction shares.</summary>
    public EvaluationPreprocessing Evaluation => _evaluation.Value;

    /// <summary>The network input (height, width).</summary>
    public (int Height, int Width) Size { get; }

    /// <summary>The channels of every batch.</summary>
    public int Channels { get; }

    /// <summary>The normalisation applied last.</summary>
    public Normalization Normalization { get; }

    /// <summary>Per network channel, the factor of <c>x' = x * scale + shift</c> (after the channel count is adapted).</summary>
    internal IReadOnlyList<float> ChannelScale => _scale;

    /// <summary>Per network channel, the shift of <c>x' = x * scale + shift</c>.</summary>
    internal IReadOnlyList<float> ChannelShift => _shift;

    /// <summary>Whether RGB batches are reversed to BGR before normalising.</summary>
    internal bool ReversesChannels => _reverseChannels;

    /// <summary>The training-time augmentations, in order.</summary>
    public IReadOnlyList<Augmentation> Augmentations => _augmentations;

    /// <summary>Whether a training batch can differ from an evaluation batch of the same images (then features of a
    /// frozen prefix cannot be cached across epochs). Mixup and cutmix count: they mix pixels, and the frozen
    /// prefix's features of a mixed image are not the mix of its features.</summary>
    public bool HasRandomAugmentation => _augmentations.Any(a => a.IsRandom);

    /// <summary>The mixup/cutmix augmentations that act (the trainer applies them to each training batch with
    /// <see cref="BatchMixing.Apply"/>; <see cref="Batch"/> does not).</summary>
    public IReadOnlyList<Mix> Mixes => BatchMixing.Of(_augmentations);

    /// <summary>Test-time augmentation views that evaluation and prediction average with the plain image.</summary>
    public IReadOnlyList<TtaView> TestViews { get; init; } = [];

    /// <summary>Where an augmentation acts. Every kind must be listed here: an unknown one is refused when the
    /// preprocessor is created, not in the middle of a run.</summary>
    internal static AugmentStage StageOf(Augmentation augmentation) => augmentation switch
    {
        RandomResizedCrop or HorizontalFlip or VerticalFlip or Rotation or ColorJitter or TrivialAugment => AugmentStage.Image,
        PadCrop => AugmentStage.Input,
        RandomErasing => AugmentStage.Normalized,
        Mix => AugmentStage.Batch,
        _ => throw new NotSupportedException($"Unknown augmentation {augmentation.GetType().Name}."),
    };

    /// <summary>A float32 tensor <c>[B, Channels, Height, Width]</c>. The same (source, indices, train, seed, epoch) gives a
    /// bit-identical tensor however many threads decode it; a sample's augmentation depends only on (seed, epoch, its
    /// index), not on the rest of the batch. Only this batch's images are held in memory.</summary>
    /// <param name="source">The images.</param>
    /// <param name="indices">Which images, in batch order.</param>
    /// <param name="train">Apply the augmentations (evaluation: resize and centre crop only).</param>
    /// <param name="seed">The run's seed.</param>
    /// <param name="epoch">The epoch: a new epoch draws new augmentations.</param>
    /// <exception cref="DataException">An image could not be decoded (the first failing one in batch order is named).</exception>
    public Tensor Batch(IImageSource source, ReadOnlySpan<int> indices, bool train, int seed, int epoch)
    {
        ArgumentNullException.ThrowIfNull(source);
        var ids = indices.ToArray();
        var (height, width) = Size;
        using var scope = NewDisposeScope();
        if (ids.Length == 0)
        {
            return empty([0, Channels, height, width], ScalarType.Float32).MoveToOuterDisposeScope();
        }

        // Decode a few images at a time (in parallel) and reduce what has been decoded to network-input size whenever
        // the decoded floats reach the budget: small images (Fashion-MNIST) go through in one set of batched tensor
        // operations, large photos never pile up. Each sample's result does not depend on the chunking.
        var randoms = train && HasRandomAugmentation ? ids.Select(id => new Random(SampleSeed.Of(seed, epoch, id))).ToArray() : null;
        var window = Math.Max(1, Environment.ProcessorCount);
        var pending = new List<(int Position, DecodedImage Image)>();
        long pendingFloats = 0;
        Tensor? output = null;
        for (var start = 0; start < ids.Length; start += window)
        {
            var decoded = DecodeAll(source, ids.AsSpan(start, Math.Min(window, ids.Length - start)).ToArray());
            for (var k = 0; k < decoded.Length; k++)
            {
                pending.Add((start + k, decoded[k]));
                pendingFloats += decoded[k].Pixels.Length;
            }

            if (pendingFloats < DecodedBudget && start + window < ids.Length)
            {
                continue;
            }

            using (var chunk = NewDisposeScope())
            {
                var parts = Preprocess(pending, randoms);
                if (parts.Count == 1 && parts[0].Positions.Length == ids.Length)
                {
                    output = parts[0].Images.MoveToOuterDisposeScope();
                }
                else
                {
                    output ??= empty([ids.Length, Channels, height, width], ScalarType.Float32).MoveToOuterDisposeScope();
                    foreach (var part in parts)
                    {
                        output.index_copy_(0, tensor(part.Positions.Select(p => (long)p).ToArray()), part.Images);
                    }
                }
            }

            pending.Clear();
            pendingFloats = 0;
        }

        return output!.MoveToOuterDisposeScope();
    }

    /// <summary>How many decoded floats a batch holds before reducing them to network-input size (default 64 Mi floats,
    /// 256 MB). Settable for tests.</summary>
    internal static long DecodedBudget { get; set; } = 64L << 20;

    /// <summary>Augments (when <paramref name="randoms"/> is given), resizes, crops, adapts channels and normalises.</summary>
    private List<Group> Preprocess(List<(int Position, DecodedImage Image)> images, Random[]? randoms)
    {
        if (randoms is null)
        {
            return [Prepare(images)];
        }

        var groups = Stack(images);
        if (randoms is not null)
        {
            foreach (var augmentation in Stage(AugmentStage.Image))
            {
                groups = augmentation switch
                {
                    RandomResizedCrop crop => ApplyCrop(groups, crop, randoms),
                    HorizontalFlip flip => groups.Select(g => g with { Images = ApplyFlip(g, flip.P, 3, randoms) }).ToList(),
                    VerticalFlip flip => groups.Select(g => g with { Images = ApplyFlip(g, flip.P, 2, randoms) }).ToList(),
                    Rotation rotation => groups.Select(g => g with { Images = ApplyRotation(g, rotation, randoms) }).ToList(),
                    ColorJitter jitter => groups.Select(g => g with { Images = ApplyJitter(g, jitter, randoms) }).ToList(),
                    TrivialAugment trivial => groups.Select(g => g with { Images = ApplyTrivial(g, trivial, randoms) }).ToList(),
                    _ => throw new NotSupportedException($"Unknown image augmentation {augmentation.GetType().Name}."),
                };
            }
        }

        var scale = tensor(_scale).view(1, Channels, 1, 1);
        var shift = Normalization.PixelShift(Size.Height, Size.Width) is { } pixels && pixels.Length == Channels * Size.Height * Size.Width
            ? tensor(pixels).view(1, Channels, Size.Height, Size.Width)
            : tensor(_shift).view(1, Channels, 1, 1);
        var result = new List<Group>();
        foreach (var group in groups)
        {
            var ready = ToChannels(ResizeAndCrop(group.Images));
            if (randoms is not null)
            {
                foreach (var augmentation in Stage(AugmentStage.Input))
                {
                    ready = augmentation switch
                    {
                        PadCrop pad => InputAugmentations.ApplyPadCrop(ready, group.Positions, pad, randoms),
                        _ => throw new NotSupportedException($"Unknown input augmentation {augmentation.GetType().Name}."),
                    };
                }
            }

            if (_reverseChannels)
            {
                ready = ready.flip(1);
            }

            var normalized = addcmul(shift, ready, scale, 1);
            if (randoms is not null)
            {
                foreach (var augmentation in Stage(AugmentStage.Normalized))
                {
                    normalized = augmentation switch
                    {
                        RandomErasing erasing => InputAugmentations.ApplyErasing(normalized, group.Positions, erasing, randoms),
                        _ => throw new NotSupportedException($"Unknown input augmentation {augmentation.GetType().Name}."),
                    };
                }
            }

            result.Add(group with { Images = normalized });
        }

        return result;
    }

    /// <summary>Every image through <see cref="EvaluationPreprocessing"/> (in parallel), as one group.</summary>
    private Group Prepare(List<(int Position, DecodedImage Image)> images)
    {
        var evaluation = Evaluation;
        int size = Channels * Size.Height * Size.Width;
        var data = new float[images.Count * size];
        var options = new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount };
        Parallel.For(0, images.Count, options, k =>
        {
            var image = images[k].Image;
            evaluation.Apply(new PlanarImage(image.Pixels, image.Channels, image.Height, image.Width), data.AsSpan(k * size, size));
        });
        return new Group([.. images.Select(x => x.Position)], tensor(data, [images.Count, Channels, Size.Height, Size.Width]));
    }

    private IEnumerable<Augmentation> Stage(AugmentStage stage) => _augmentations.Where(a => a.IsRandom && StageOf(a) == stage);

    /// <summary>One TrivialAugmentWide operation per sample (each drawn by the sample's generator).</summary>
    private static Tensor ApplyTrivial(Group group, TrivialAugment trivial, Random[] randoms)
    {
        var images = new Tensor[group.Positions.Length];
        for (var k = 0; k < images.Length; k++)
        {
            var (op, magnitude) = TrivialAugmentWide.Draw(randoms[group.Positions[k]], trivial.Bins);
            images[k] = TrivialAugmentWide.Apply(group.Images.narrow(0, k, 1), op, magnitude);
        }

        return images.Length == 1 ? images[0] : cat(images, 0);
    }

    /// <summary>The label ids of the images, int64 <c>[B]</c>.</summary>
    /// <param name="source">The images.</param>
    /// <param name="indices">Which images, in batch order.</param>
    public static Tensor Labels(IImageSource source, ReadOnlySpan<int> indices)
    {
        ArgumentNullException.ThrowIfNull(source);
        var labels = new long[indices.Length];
        for (var i = 0; i < indices.Length; i++)
        {
            labels[i] = source.LabelOf(indices[i]);
        }

        return tensor(labels, ScalarType.Int64);
    }

    /// <summary>Resizes so that the image covers the target (shorter side to the target, aspect kept; bilinear,
    /// antialiased), then crops the centre. <c>[N, C, h, w]</c> to <c>[N, C, Height, Width]</c>.</summary>
    internal Tensor ResizeAndCrop(Tensor batch)
    {
        var (height, width) = Size;
        var h = (int)batch.shape[2];
        var w = (int)batch.shape[3];
        if (h == height && w == width)
        {
            return batch;
        }

        var (rh, rw, top, left) = EvaluationPreprocessing.CoverAndCrop(h, w, height, width);
        var resized = rh == h && rw == w ? batch : Resize(batch, rh, rw);
        if (rh == height && rw == width)
        {
            return resized;
        }

        return resized.narrow(2, top, height).narrow(3, left, width);
    }

    private static Tensor Resize(Tensor batch, int height, int width) =>
        F.interpolate(batch, [height, width], mode: InterpolationMode.Bilinear, align_corners: false, antialias: true);

    private Tensor ToChannels(Tensor batch)
    {
        var c = batch.shape[1];
        if (c == Channels)
        {
            return batch;
        }

        if (c == 1)
        {
            return batch.expand(-1, Channels, -1, -1);
        }

        return (batch * tensor(GrayWeights).view(1, 3, 1, 1)).sum(1, keepdim: true);
    }

    /// <summary>Same-shaped images of the batch, stacked, with their positions in the batch (ascending).</summary>
    private sealed record Group(int[] Positions, Tensor Images);

    /// <summary>One tensor per distinct (channels, height, width), in order of first appearance.</summary>
    private static List<Group> Stack(List<(int Position, DecodedImage Image)> images)
    {
        var groups = new List<Group>();
        foreach (var members in images.GroupBy(x => (x.Image.Channels, x.Image.Height, x.Image.Width)))
        {
            var (c, h, w) = members.Key;
            var size = c * h * w;
            var list = members.ToArray();
            var pixels = new float[list.Length * size];
            for (var k = 0; k < list.Length; k++)
            {
                list[k].Image.Pixels.AsSpan(0, size).CopyTo(pixels.AsSpan(k * size));
            }

            groups.Add(new Group([.. list.Select(x => x.Position)], tensor(pixels, [list.Length, c, h, w])));
        }

        return groups;
    }

    /// <summary>Each sample gets its own crop, resized to the network input; the result is regrouped by channel count.</summary>
    private List<Group> ApplyCrop(List<Group> groups, RandomResizedCrop crop, Random[] randoms)
    {
        var crops = new List<(int Position, Tensor Image)>();
        foreach (var group in groups)
        {
            var h = (int)group.Images.shape[2];
            var w = (int)group.Images.shape[3];
            for (var k = 0; k < group.Positions.Length; k++)
            {
                var (top, left, ch, cw) = CropBox(h, w, crop, randoms[group.Positions[k]]);
                var region = group.Images.narrow(0, k, 1).narrow(2, top, ch).narrow(3, left, cw);
                crops.Add((group.Positions[k], Resize(region, Size.Height, Size.Width)));
            }
        }

        return crops
            .GroupBy(c => c.Image.shape[1])
            .Select(g => g.OrderBy(c => c.Position).ToArray())
            .Select(g => new Group(g.Select(c => c.Position).ToArray(), cat(g.Select(c => c.Image).ToArray(), 0)))
            .ToList();
    }

    /// <summary>Flips along <paramref name="dimension"/> (3: left-right, 2: top-bottom) the images whose draw is below <paramref name="p"/>.</summary>
    private static Tensor ApplyFlip(Group group, double p, long dimension, Random[] randoms)
    {
        var mask = group.Positions.Select(position => randoms[position].NextDouble() < p).ToArray();
        if (!mask.Contains(true))
        {
            return group.Images;
        }

        var flipped = group.Images.flip(dimension);
        return mask.Contains(false) ? where(tensor(mask).view(-1, 1, 1, 1), flipped, group.Images) : flipped;
    }

    /// <summary>torchvision's RandomResizedCrop.get_params: 10 tries at a random area and log-uniform ratio, then a
    /// centre crop with the ratio clamped into range.</summary>
    internal static (int Top, int Left, int Height, int Width) CropBox(int height, int width, RandomResizedCrop crop, Random random)
    {
        var area = (double)height * width;
        var logMin = Math.Log(crop.RatioMin);
        var logMax = Math.Log(crop.RatioMax);
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var target = area * Uniform(random, crop.ScaleMin, crop.ScaleMax);
            var ratio = Math.Exp(Uniform(random, logMin, logMax));
            var w = (int)Math.Round(Math.Sqrt(target * ratio));
            var h = (int)Math.Round(Math.Sqrt(target / ratio));
            if (w > 0 && h > 0 && w <= width && h <= height)
            {
                return (random.Next(height - h + 1), random.Next(width - w + 1), h, w);
            }
        }

        var inRatio = (double)width / height;
        int ch, cw;
        if (inRatio < crop.RatioMin)
        {
            cw = width;
            ch = Math.Max(1, (int)Math.Round(cw / crop.RatioMin));
        }
        else if (inRatio > crop.RatioMax)
        {
            ch = height;
            cw = Math.Max(1, (int)Math.Round(ch * crop.RatioMax));
        }
        else
        {
            cw = width;
            ch = height;
        }

        return ((height - ch) / 2, (width - cw) / 2, ch, cw);
    }

    private static Tensor ApplyRotation(Group group, Rotation rotation, Random[] randoms) =>
        RotateBatch(group.Images, group.Positions.Select(p => Uniform(randoms[p], -rotation.Degrees, rotation.Degrees)).ToArray());

    /// <summary>Rotates a <c>[C, H, W]</c> image about its centre; positive angles turn counter-clockwise.</summary>
    internal static Tensor Rotate(Tensor image, double degrees) => RotateBatch(image.unsqueeze(0), [degrees]).squeeze(0);

    /// <summary>Rotates each image of <c>[N, C, H, W]</c> by its own angle (bilinear, zeros outside; one grid_sample).</summary>
    private static Tensor RotateBatch(Tensor images, double[] degrees)
    {
        var h = images.shape[2];
        var w = images.shape[3];
        var theta = new float[degrees.Length * 6];
        for (var i = 0; i < degrees.Length; i++)
        {
            // Output pixel -> input pixel in normalised coordinates, corrected for the aspect ratio so that a
            // non-square image rotates rigidly; positive angles turn counter-clockwise, as torchvision's.
            var (sin, cos) = Math.SinCos(degrees[i] * Math.PI / 180);
            theta[(i * 6) + 0] = (float)cos;
            theta[(i * 6) + 1] = (float)(-sin * h / w);
            theta[(i * 6) + 3] = (float)(sin * w / h);
            theta[(i * 6) + 4] = (float)cos;
        }

        var grid = F.affine_grid(tensor(theta, [degrees.Length, 2, 3]), [degrees.Length, images.shape[1], h, w], align_corners: false);
        return F.grid_sample(images, grid, GridSampleMode.Bilinear, GridSamplePaddingMode.Zeros, align_corners: false);
    }

    /// <summary>Per-sample factors for the whole group, applied as brightness, then contrast, then saturation, then hue.
    /// Each sample draws its factors in that order, skipping those that are 0.</summary>
    private static Tensor ApplyJitter(Group group, ColorJitter jitter, Random[] randoms)
    {
        var n = group.Positions.Length;
        var factors = new float[4][];
        for (var j = 0; j < 4; j++)
        {
            factors[j] = new float[n];
        }

        for (var k = 0; k < n; k++)
        {
            var random = randoms[group.Positions[k]];
            factors[0][k] = (float)(Factor(random, jitter.Brightness) ?? 1);
            factors[1][k] = (float)(Factor(random, jitter.Contrast) ?? 1);
            factors[2][k] = (float)(Factor(random, jitter.Saturation) ?? 1);
            factors[3][k] = jitter.Hue > 0 ? (float)Uniform(random, -jitter.Hue, jitter.Hue) : 0;
        }

        var image = group.Images;
        if (jitter.Brightness > 0)
        {
            image = (image * tensor(factors[0]).view(n, 1, 1, 1)).clamp_(0, 1);
        }

        if (jitter.Contrast > 0)
        {
            var c = tensor(factors[1]).view(n, 1, 1, 1);
            var mean = Gray(image).mean([1, 2, 3], keepdim: true);
            image = ((image * c) + (mean * (1 - c))).clamp_(0, 1);
        }

        if (jitter.Saturation > 0 && image.shape[1] == 3)
        {
            var s = tensor(factors[2]).view(n, 1, 1, 1);
            image = ((image * s) + (Gray(image) * (1 - s))).clamp_(0, 1);
        }

        if (jitter.Hue > 0 && image.shape[1] == 3)
        {
            image = ShiftHue(image, factors[3]);
        }

        return image;
    }

    /// <summary>torchvision's adjust_hue on RGB images <c>[N, 3, H, W]</c> in [0, 1]: to HSV, the hue turned by each
    /// image's shift (a full turn is 1, wrapping around), back to RGB. Value and chroma stay as they were.</summary>
    internal static Tensor ShiftHue(Tensor images, float[] shifts)
    {
        var n = images.shape[0];
        var r = images.narrow(1, 0, 1);
        var g = images.narrow(1, 1, 1);
        var b = images.narrow(1, 2, 1);
        var value = images.amax([1], keepdim: true);
        var chroma = value - images.amin([1], keepdim: true);

        // Hue in sixths of a turn, measured from the largest channel (red first, then green, then blue on ties, as
        // torchvision); grey pixels (no chroma) get hue 0, which no shift can change because their chroma stays 0.
        var grey = chroma.eq(0);
        var divisor = where(grey, ones_like(chroma), chroma);
        var sector = where(
            value.eq(r),
            (g - b) / divisor,
            where(value.eq(g), 2 + ((b - r) / divisor), 4 + ((r - g) / divisor)));
        var hue = remainder((sector / 6) + tensor(shifts).view(n, 1, 1, 1), 1.0);

        // Back to RGB: channel k (red 5, green 3, blue 1) is value - chroma * clamp(min(t, 4 - t), 0, 1) with
        // t = (k + 6 * hue) mod 6, the piecewise-linear hue ramps written as one expression.
        var offsets = tensor(new float[] { 5, 3, 1 }).view(1, 3, 1, 1);
        var t = remainder(offsets + (hue * 6), 6.0);
        var ramp = minimum(t, 4 - t).clamp_(0, 1);
        return (value - (chroma * ramp)).clamp_(0, 1);
    }

    private static double? Factor(Random random, double amount) =>
        amount > 0 ? Uniform(random, Math.Max(0, 1 - amount), 1 + amount) : null;

    private static Tensor Gray(Tensor images) =>
        images.shape[1] == 3 ? (images * tensor(GrayWeights).view(1, 3, 1, 1)).sum(1, keepdim: true) : images;

    private static double Uniform(Random random, double min, double max) => min + (random.NextDouble() * (max - min));

    private static DecodedImage[] DecodeAll(IImageSource source, int[] ids)
    {
        var images = new DecodedImage[ids.Length];
        var errors = new Exception?[ids.Length];
        var options = new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount };
        Parallel.For(0, ids.Length, options, i =>
        {
            try
            {
                images[i] = source.Decode(ids[i]);
            }
#pragma warning disable CA1031 // Collected and rethrown below, the first in batch order, so the error is deterministic.
            catch (Exception e)
#pragma warning restore CA1031
            {
                errors[i] = e;
            }
        });

        var first = Array.Find(errors, e => e is not null);
        if (first is not null)
        {
            ExceptionDispatchInfo.Throw(first);
        }

        return images;
    }
}
