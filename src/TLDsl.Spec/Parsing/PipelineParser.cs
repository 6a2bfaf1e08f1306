using System;
using System.Collections.Generic;
using TLDsl.Spec.Diagnostics;
using TLDsl.Spec.Yaml;

namespace TLDsl.Spec.Parsing;

/// <summary>Reads a YAML pipeline into a validated <see cref="Model.PipelineSpec"/> plus located diagnostics.</summary>
public static class PipelineParser
{
    /// <summary>
    /// Parses and validates <paramref name="yamlText"/>. Never throws for any input: every problem, including an
    /// internal bug, becomes a diagnostic located in <paramref name="filePath"/>.
    /// </summary>
    /// <param name="yamlText">The file's text.</param>
    /// <param name="filePath">The file's path as diagnostics should name it; relative paths in the spec resolve against its folder.</param>
    /// <param name="options">Catalogue and file access; null for the defaults.</param>
    public static PipelineParseResult Parse(string yamlText, string filePath, PipelineParseOptions? options = null) =>
        Parse(yamlText, filePath, options, PipelineUpgrader.BuiltInSteps);

    internal static PipelineParseResult Parse(string yamlText, string filePath, PipelineParseOptions? options, IReadOnlyList<UpgradeStep> steps)
    {
        var bag = new DiagnosticBag();
        var rootLocation = new NodeLocation(SourceSpan.StartOf(filePath), null);
        try
        {
            var root = SafeYamlReader.Read(yamlText ?? string.Empty, filePath, bag, out var fatal);
            if (fatal)
            {
                return PipelineEngine.Finish(null, bag);
            }

            return PipelineEngine.Run(root, rootLocation, filePath, Parsing.SpecBuilder.NameFromPath(filePath), options ?? PipelineParseOptions.Default, bag, steps);
        }
        catch (Exception ex)
        {
            bag.Report(DiagnosticDescriptors.InternalError, rootLocation, ex.GetType().Name + ": " + ex.Message);
            return PipelineEngine.Finish(null, bag);
        }
    }
}
