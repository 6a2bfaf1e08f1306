using System.IO;
using System.Linq;
using TLDsl.Spec.Diagnostics;
using TLDsl.Spec.Yaml;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace TLDsl.Spec.Attributes;

/// <summary>
/// Writes an attribute pipeline as the YAML pipeline it stands for: the tree <see cref="AttributePipelineReader"/>
/// checks, as text. Parsing that text gives the same spec, so it can serve as the pipeline's text wherever a YAML file
/// is expected (its identity hash, the copy in a run folder that <c>tldsl</c> and the runtime resume from).
/// </summary>
public static class AttributePipelineYaml
{
    /// <summary>The YAML form of <paramref name="input"/>; deterministic, '\n' line ends. Meaningful only for
    /// attributes that read without errors.</summary>
    /// <param name="input">The attributes, as the generator read them.</param>
    public static string Write(AttributePipelineInput input)
    {
        var root = new AttributeTranslator(input, new DiagnosticBag(), NodeLocation.Unknown).Translate();
        if (root.Find("name") is null)
        {
            // The reader defaults the name to the class name; a YAML file would default it to its file name.
            root.Entries.Insert(root.Find("version") is null ? 0 : 1, new YEntry(new YScalar("name", true, NodeLocation.Unknown), new YScalar(input.ClassName, false, NodeLocation.Unknown)));
        }

        using var text = new StringWriter { NewLine = "\n" };
        text.Write("# The [TransferPipeline] attributes of class " + input.ClassName + " as YAML (written by TLDsl).\n");
        var emitter = new Emitter(text, 2, int.MaxValue, false);
        emitter.Emit(new StreamStart());
        emitter.Emit(new DocumentStart());
        Emit(emitter, root);
        emitter.Emit(new DocumentEnd(true));
        emitter.Emit(new StreamEnd());
        return text.ToString().Replace("\r\n", "\n");
    }

    private static void Emit(IEmitter emitter, YNode node)
    {
        switch (node)
        {
            case YMapping map:
                emitter.Emit(new MappingStart(AnchorName.Empty, TagName.Empty, true, MappingStyle.Block));
                foreach (var entry in map.Entries)
                {
                    emitter.Emit(new Scalar(AnchorName.Empty, TagName.Empty, entry.Key.Value, ScalarStyle.Plain, true, false));
                    Emit(emitter, entry.Value);
                }

                emitter.Emit(new MappingEnd());
                break;
            case YSequence list:
                // Short lists of scalars ([64, 64], label names) read best inline; lists of mappings as blocks.
                var style = list.Items.All(i => i is YScalar) ? SequenceStyle.Flow : SequenceStyle.Block;
                emitter.Emit(new SequenceStart(AnchorName.Empty, TagName.Empty, true, style));
                foreach (var item in list.Items)
                {
                    Emit(emitter, item);
                }

                emitter.Emit(new SequenceEnd());
                break;
            case YScalar { IsNull: true }:
                emitter.Emit(new Scalar(AnchorName.Empty, TagName.Empty, "null", ScalarStyle.Plain, true, false));
                break;
            case YScalar scalar:
                // Plain scalars (numbers, booleans, words) stay plain so they are typed as written; strings are quoted.
                emitter.Emit(new Scalar(AnchorName.Empty, TagName.Empty, scalar.Value,
                    scalar.IsPlain ? ScalarStyle.Plain : ScalarStyle.DoubleQuoted, scalar.IsPlain, !scalar.IsPlain));
                break;
        }
    }
}
