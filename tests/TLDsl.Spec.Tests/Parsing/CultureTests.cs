using System.Globalization;
using System.IO;
using System.Linq;
using TLDsl.Spec.Model;
using TLDsl.Spec.Parsing;
using TLDsl.Spec.Schema;
using TLDsl.Spec.Tests.Support;

namespace TLDsl.Spec.Tests.Parsing;

/// <summary>Numbers are read and written with the invariant culture whatever the current culture says.</summary>
public class CultureTests
{
    private static CultureInfo Hostile()
    {
        var culture = (CultureInfo)CultureInfo.GetCultureInfo("fa-IR").Clone();
        culture.NumberFormat.NegativeSign = "\u2212";
        culture.NumberFormat.NumberDecimalSeparator = ",";
        culture.NumberFormat.NumberGroupSeparator = ".";
        culture.NumberFormat.PositiveSign = "\u2795";
        return culture;
    }

    [Fact]
    public void Parsing_formatting_and_schema_are_culture_independent()
    {
        var yaml = File.ReadAllText(RepoPaths.Combine("pipelines", "gradual-unfreezing.tl.yaml"));
        var invalid = "version: 1\nbase: { model: resnet18_imagenet }\nlabels: [a]\nhead: [{ linear: labels }, { dropout: 1.5 }]\ntrain: { epochs: 1, seed: -3, optimizer: { sgd: { lr: 1e-3 } } }\n";
        var before = CultureInfo.CurrentCulture;
        var beforeUi = CultureInfo.CurrentUICulture;
        var (expectedSpec, expectedErrors, expectedSchema) = (PipelineParser.Parse(yaml, "g.tl.yaml").Spec, Parse.Format(Parse.Text(invalid)), PipelineSchema.ToJson());
        try
        {
            CultureInfo.CurrentCulture = Hostile();
            CultureInfo.CurrentUICulture = Hostile();
            Assert.Equal("\u22121", (-1).ToString(CultureInfo.CurrentCulture));

            var spec = PipelineParser.Parse(yaml, "g.tl.yaml").Spec;
            Assert.NotNull(spec);
            Assert.Equal(expectedSpec, spec);
            Assert.Equal(1e-4, spec!.Train.Phases[1].LrGroups[0].Lr);
            Assert.Equal(0.1, spec.Train.Loss.LabelSmoothing);
            Assert.Equal(0.8, ((RandomResizedCropSpec)spec.Data!.Augment[1]).ScaleMin);

            var errors = Parse.Format(Parse.Text(invalid));
            Assert.Equal(expectedErrors, errors);
            Assert.Contains("must be a number >= 0 and < 1, but is 1.5", errors, System.StringComparison.Ordinal);
            Assert.Contains("train.seed must be an integer >= 0, but is -3", errors, System.StringComparison.Ordinal);
            Assert.Equal(expectedSchema, PipelineSchema.ToJson());
            Assert.Equal("1E-05", Text.InvariantNumbers.Format(1e-5));
        }
        finally
        {
            CultureInfo.CurrentCulture = before;
            CultureInfo.CurrentUICulture = beforeUi;
        }
    }

    [Fact]
    public void Culture_specific_number_text_is_not_a_number()
    {
        var result = Parse.Text("version: 1\nbase: { model: resnet18_imagenet }\nlabels: [a]\nhead: [{ linear: labels }]\ntrain: { epochs: 1, clip_grad_norm: '1,5' }\n");
        Assert.Contains(result.Diagnostics, d => d.Id == "TLD0007");
        var minus = Parse.Text("version: 1\nbase: { model: resnet18_imagenet }\nlabels: [a]\nhead: [{ linear: labels }]\ntrain: { epochs: 1, seed: \u22121 }\n");
        Assert.Contains(minus.Diagnostics, d => d.Id == "TLD0007" && d.Message.Contains("train.seed", System.StringComparison.Ordinal));
    }
}
