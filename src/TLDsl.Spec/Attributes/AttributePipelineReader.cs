using System;
using TLDsl.Spec.Diagnostics;
using TLDsl.Spec.Parsing;
using TLDsl.Spec.Yaml;

namespace TLDsl.Spec.Attributes;

/// <summary>
/// Reads an attribute pipeline into the same <see cref="Model.PipelineSpec"/> and diagnostics as YAML: the attributes
/// are translated into the YAML tree they stand for (each value located by its attribute's token), and that tree
/// goes through the same checker, builder and validator. Diagnostics carry <see cref="SpecDiagnostic.LocationToken"/>.
/// </summary>
public static class AttributePipelineReader
{
    /// <summary>Reads and validates an attribute pipeline. Never throws: problems become diagnostics.</summary>
    /// <param name="input">The attributes, as the generator read them.</param>
    /// <param name="options">Catalogue and file access; null for the defaults.</param>
    public static PipelineParseResult Read(AttributePipelineInput input, PipelineParseOptions? options = null)
    {
        var bag = new DiagnosticBag();
        var rootLocation = new NodeLocation(null, input.ClassLocationToken);
        try
        {
            var root = new AttributeTranslator(input, bag, rootLocation).Translate();
            return PipelineEngine.Run(root, rootLocation, input.SourcePath, input.ClassName, options ?? PipelineParseOptions.Default, bag, PipelineUpgrader.BuiltInSteps);
        }
        catch (Exception ex)
        {
            bag.Report(DiagnosticDescriptors.InternalError, rootLocation, ex.GetType().Name + ": " + ex.Message);
            return PipelineEngine.Finish(null, bag);
        }
    }
}
