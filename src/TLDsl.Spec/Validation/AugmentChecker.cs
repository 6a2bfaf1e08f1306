using System.Collections.Generic;
using System.Globalization;
using TLDsl.Spec.Diagnostics;
using TLDsl.Spec.Model;
using TLDsl.Spec.Text;

namespace TLDsl.Spec.Validation;

/// <summary>
/// Checks on <c>data.augment</c> and <c>data.tta</c> that span several values: [min, max] pairs in order, a reflected
/// padding narrower than the input, mixup and cutmix listed once each, test-time views listed once, and quarter turns
/// only on a square input (a turned 112×96 image is 96×112, which the network does not take).
/// </summary>
internal sealed class AugmentChecker
{
    private readonly ValidationContext _ctx;

    public AugmentChecker(ValidationContext context) => _ctx = context;

    public void Check(DataSpec? data, InputSpec input)
    {
        if (data is null)
        {
            return;
        }

        var seen = new Dictionary<AugmentKind, int>();
        for (var i = 0; i < data.Augment.Count; i++)
        {
            var augment = data.Augment[i];
            var path = "data.augment[" + I(i) + "]";
            if (augment is RandomErasingSpec erasing)
            {
                CheckPair(path + ".random_erasing.scale", erasing.ScaleMin, erasing.ScaleMax);
                CheckPair(path + ".random_erasing.ratio", erasing.RatioMin, erasing.RatioMax);
            }

            // Mirroring needs a border to mirror: libtorch refuses a reflected padding as wide as the image.
            var side = System.Math.Min(input.Height, input.Width);
            if (augment is PadCropSpec { Reflect: true } pad && pad.Padding >= side && !_ctx.Checker.HasErrorsUnder("input")
                && _ctx.Locator.Has(path + ".pad_crop.padding"))
            {
                _ctx.Report(DiagnosticDescriptors.OutOfRange, path + ".pad_crop.padding", path + ".pad_crop.padding with fill: reflect",
                    "less than the input's shorter side (" + I(side) + ")", I(pad.Padding));
            }

            // Each sample draws which of mixup and cutmix it gets: listing one twice has no meaning.
            if (augment is MixSpec mix)
            {
                if (seen.TryGetValue(mix.Kind, out var first))
                {
                    _ctx.Report(DiagnosticDescriptors.DuplicateKey, path, AugmentKinds.Of(mix.Kind).Word, "data.augment", "data.augment[" + I(first) + "]");
                }
                else
                {
                    seen[mix.Kind] = i;
                }
            }
        }

        var views = new Dictionary<TtaView, int>();
        for (var i = 0; i < data.Tta.Count; i++)
        {
            var view = data.Tta[i].View;
            var path = "data.tta[" + I(i) + "]";
            if (views.TryGetValue(view, out var first))
            {
                _ctx.Report(DiagnosticDescriptors.DuplicateKey, path, AugmentKinds.Word(view), "data.tta", "data.tta[" + I(first) + "]");
                continue;
            }

            views[view] = i;
            if (view == TtaView.Rotate90 && !_ctx.Checker.HasErrorsUnder("input") && input.Height != input.Width)
            {
                _ctx.Report(DiagnosticDescriptors.RequiresOtherKey, path, "data.tta rotate90",
                    "with a square input (input.size is " + I(input.Height) + "x" + I(input.Width) + ", and a quarter turn would make it " + I(input.Width) + "x" + I(input.Height) + "); use flip or vertical_flip");
            }
        }
    }

    // Both ends are range-checked by the key table; the runtime also needs min <= max.
    private void CheckPair(string path, double min, double max)
    {
        if (_ctx.Locator.Has(path) && !_ctx.Checker.HasErrorsUnder(path) && min > max)
        {
            _ctx.Report(DiagnosticDescriptors.OutOfRange, path, path, "[min, max] with min <= max",
                "[" + InvariantNumbers.Format(min) + ", " + InvariantNumbers.Format(max) + "]");
        }
    }

    private static string I(int value) => value.ToString(CultureInfo.InvariantCulture);
}
