using System.Globalization;
using System.Linq;
using TLDsl.Spec.Diagnostics;
using TLDsl.Spec.Model;
using TLDsl.Spec.Schema;
using TLDsl.Spec.Text;

namespace TLDsl.Spec.Validation;

/// <summary>
/// Limits that span several keys, which the key table (one key at a time) cannot say: [min, max] pairs in order,
/// the effective batch, and the run's total epochs. Together with the table's ranges they make validation the one
/// gate: what validates, the runtime can honour.
/// </summary>
internal sealed class LimitChecker
{
    private readonly ValidationContext _ctx;

    public LimitChecker(ValidationContext context) => _ctx = context;

    public void Check(TrainSpec train, DataSpec? data, InputSpec input)
    {
        if (data is not null)
        {
            for (var i = 0; i < data.Augment.Count; i++)
            {
                if (data.Augment[i] is RandomResizedCropSpec crop)
                {
                    var path = "data.augment[" + I(i) + "].random_resized_crop";
                    CheckPair(path + ".scale", crop.ScaleMin, crop.ScaleMax);
                    CheckPair(path + ".ratio", crop.RatioMin, crop.RatioMax);
                }
            }
        }

        // Batches are indexed with 32-bit integers and an accumulation window holds batch × accumulate samples.
        if (!_ctx.Checker.HasErrorsUnder("train.batch") && !_ctx.Checker.HasErrorsUnder("train.accumulate")
            && (long)train.Batch * train.Accumulate > PipelineKeys.MaxEffectiveBatch)
        {
            var path = _ctx.Locator.Has("train.accumulate") ? "train.accumulate" : "train.batch";
            _ctx.Report(DiagnosticDescriptors.OutOfRange, path, "train.batch × train.accumulate (the effective batch)",
                "at most " + I(PipelineKeys.MaxEffectiveBatch), I(train.Batch) + " × " + I(train.Accumulate));
        }

        // One input batch is one float array and one tensor: at most 2^31 - 1 values (8 GiB of float32), which .NET arrays
        // and 32-bit offsets can hold (batch 65,536 of 224×224 RGB would be 39 GB).
        if (!_ctx.Checker.HasErrorsUnder("train.batch") && !_ctx.Checker.HasErrorsUnder("input"))
        {
            var channels = System.Math.Max(input.Channels, _ctx.Model?.Channels ?? 3);
            var values = (long)train.Batch * channels * input.Height * input.Width;
            if (values > PipelineKeys.MaxBatchValues)
            {
                _ctx.Report(DiagnosticDescriptors.OutOfRange, "train.batch", "train.batch × channels × input height × width (one input batch)",
                    "at most " + PipelineKeys.MaxBatchValues.ToString(CultureInfo.InvariantCulture) + " values (8 GiB of float32)", I(train.Batch) + " × " + I(channels) + " × " + I(input.Height) + " × " + I(input.Width));
            }
        }

        // Each stride and pool shrinks the map: below the kept layers' smallest input some map has no pixels left, and
        // libtorch would fail at the first batch (the catalogue records the smallest side, found by running the model).
        if (!_ctx.Checker.HasErrorsUnder("input") && _ctx.Model is { } model && _ctx.KeptChildren.Count > 0)
        {
            var last = _ctx.KeptChildren[_ctx.KeptChildren.Count - 1];
            if (input.Height < last.MinSize || input.Width < last.MinSize)
            {
                _ctx.Report(DiagnosticDescriptors.OutOfRange, _ctx.Locator.Has("input.size") ? "input.size" : "input",
                    "input.size for '" + model.Name + "' up to '" + last.Name + "'",
                    "at least " + I(last.MinSize) + " pixels a side", I(input.Height) + "x" + I(input.Width));
            }
        }

        // Epoch counters are 32-bit and every epoch writes metrics: the whole run is bounded like one phase.
        if (!_ctx.Checker.HasErrorsUnder("train.phases") && !_ctx.Checker.HasErrorsUnder("train.epochs"))
        {
            var total = train.Phases.Sum(p => (long)p.Epochs);
            if (total > PipelineKeys.MaxEpochs)
            {
                _ctx.Report(DiagnosticDescriptors.OutOfRange, _ctx.Locator.Has("train.phases") ? "train.phases" : "train.epochs",
                    "The epochs of all phases together", "at most " + I(PipelineKeys.MaxEpochs), total.ToString(CultureInfo.InvariantCulture));
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
