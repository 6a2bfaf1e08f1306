using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using TLDsl.Spec.Attributes;
using TLDsl.Spec.Diagnostics;
using TLDsl.Spec.Model;
using TLDsl.Spec.Parsing;

namespace TLDsl.Generator;

/// <summary>
/// Turns <c>*.tl.yaml</c> AdditionalFiles and <c>[TransferPipeline]</c> classes into a typed TorchSharp model, a label
/// enum, a trainer and the pipeline's identity; reports TLDsl.Spec's diagnostics at the YAML line or attribute.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class PipelineGenerator : IIncrementalGenerator
{
    /// <summary>Tracking names of the pipeline steps (for incremental tests).</summary>
    public static class Steps
    {
        /// <summary>The generator options from the project (root namespace, project folder).</summary>
        public const string Options = "TLDsl.Options";

        /// <summary>The <c>*.tl.yaml</c> AdditionalFiles, as path and text.</summary>
        public const string YamlFiles = "TLDsl.YamlFiles";

        /// <summary>Other AdditionalFiles (ONNX layer listings).</summary>
        public const string OtherFiles = "TLDsl.OtherFiles";

        /// <summary>The paths of the model files (weights, ONNX bases) the build knows; never their content.</summary>
        public const string ModelFiles = "TLDsl.ModelFiles";

        /// <summary>The name of every valid pipeline (YAML and attributes), for the one-name-per-pipeline check.</summary>
        public const string Names = "TLDsl.Names";

        /// <summary>YAML pipelines read and validated.</summary>
        public const string ParseYaml = "TLDsl.ParseYaml";

        /// <summary>Attribute pipelines read and validated.</summary>
        public const string ParseAttributes = "TLDsl.ParseAttributes";

        /// <summary>The diagnostics of each pipeline.</summary>
        public const string Diagnostics = "TLDsl.Diagnostics";

        /// <summary>The typed model (model, labels, trainer) of each valid pipeline: unchanged by comment edits.</summary>
        public const string EmitTypes = "TLDsl.EmitTypes";

        /// <summary>The identity (text, hash) of each valid pipeline.</summary>
        public const string EmitIdentity = "TLDsl.EmitIdentity";
    }

    private const string DefaultNamespace = "TLDsl.Generated";

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        context.RegisterPostInitializationOutput(static c => c.AddSource(AttributeSource.HintName, AttributeSource.Text));

        var options = context.AnalyzerConfigOptionsProvider
            .Select(static (p, _) => ReadOptions(p.GlobalOptions))
            .WithTrackingName(Steps.Options);

        // Model files (weights, ONNX bases: large) are only ever looked at by path; GetText is never called on them.
        var classified = context.AdditionalTextsProvider
            .Combine(context.AnalyzerConfigOptionsProvider)
            .Select(static (input, _) => (Text: input.Left, Kind: ModelFiles.Classify(input.Left, input.Right)));

        var yaml = classified
            .Where(static t => t.Kind == AdditionalFileKind.Pipeline)
            .Select(static (t, ct) => new TextFile(t.Text.Path, Bounded(t.Text.GetText(ct), BoundedText.MaxPipelineCharacters)))
            .WithTrackingName(Steps.YamlFiles);

        var others = classified
            .Where(static t => t.Kind == AdditionalFileKind.Text)
            .Select(static (t, ct) => new TextFile(t.Text.Path, Bounded(t.Text.GetText(ct), TLDsl.Spec.Catalogue.CatalogueReader.MaxCharacters)))
            .Collect()
            .Select(static (files, _) => EquatableArray.From(files.OrderBy(f => f.Path, StringComparer.Ordinal)))
            .WithTrackingName(Steps.OtherFiles);

        var models = classified
            .Where(static t => t.Kind == AdditionalFileKind.Model)
            .Select(static (t, _) => t.Text.Path)
            .Collect()
            .Select(static (paths, _) => ModelFiles.Known(paths))
            .WithTrackingName(Steps.ModelFiles);

        var files = others.Combine(models).Select(static (f, _) => new ProjectFiles(f.Left, f.Right));

        var fromYaml = yaml.Combine(options).Combine(files)
            .Select(static (input, ct) => ParseYaml(input.Left.Left, input.Left.Right, input.Right))
            .WithTrackingName(Steps.ParseYaml);

        var fromAttributes = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                "TLDsl.TransferPipelineAttribute",
                static (node, _) => node is ClassDeclarationSyntax,
                static (ctx, ct) => ReadAttributeInput(ctx, ct))
            .Where(static input => input is not null)
            .Combine(options)
            .Combine(files)
            .Select(static (input, _) => ParseAttributes(input.Left.Left!, input.Left.Right, input.Right))
            .WithTrackingName(Steps.ParseAttributes);

        // Two pipelines with one name would emit the same types and hint names (CS8785 would stop the compiler).
        var names = fromYaml.Select(static (p, _) => PipelineNames.Of(p)).Collect()
            .Combine(fromAttributes.Select(static (p, _) => PipelineNames.Of(p)).Collect())
            .Select(static (n, _) => PipelineNames.All(n.Left.Concat(n.Right)))
            .WithTrackingName(Steps.Names);

        Register(context, fromYaml.Combine(names).Select(static (p, _) => PipelineNames.Unique(p.Left, p.Right)));
        Register(context, fromAttributes.Combine(names).Select(static (p, _) => PipelineNames.Unique(p.Left, p.Right)));
    }

    // The compiler has already loaded the file; copying only the limit and one more character keeps a huge file from
    // being copied (and cached) again before the parser reports it too large (TLD0002, or TLD0030 for a layer listing).
    private static string Bounded(Microsoft.CodeAnalysis.Text.SourceText? text, int maxCharacters) =>
        text is null ? ""
        : text.Length > maxCharacters ? text.ToString(new Microsoft.CodeAnalysis.Text.TextSpan(0, maxCharacters + 1))
        : text.ToString();

    private static void Register(IncrementalGeneratorInitializationContext context, IncrementalValuesProvider<ParsedPipeline> parsed)
    {
        var diagnostics = parsed
            .Select(static (p, _) => p.Diagnostics)
            .WithTrackingName(Steps.Diagnostics);
        context.RegisterSourceOutput(diagnostics, static (spc, list) =>
        {
            foreach (var d in list)
            {
                spc.ReportDiagnostic(Descriptors.Create(d));
            }
        });

        var types = parsed
            .Select(static (p, _) => Safe(p, static (q, spec) => ModelFactory.Create(q, spec)))
            .WithTrackingName(Steps.EmitTypes);
        context.RegisterSourceOutput(types, static (spc, r) => Output(spc, r, static m => Emitter.Emit(m)));

        var identity = parsed
            .Select(static (p, _) => Safe(p, static (q, spec) => ModelFactory.Identity(q, spec)))
            .WithTrackingName(Steps.EmitIdentity);
        context.RegisterSourceOutput(identity, static (spc, r) =>
            Output(spc, r, static m => new[] { (m.Name + ".Pipeline.g.cs", Emitter.Pipeline(m)) }));
    }

    /// <summary>The model for a valid pipeline, or a TLD0032 diagnostic if building it throws; nothing for an invalid one.</summary>
    private static Built<T>? Safe<T>(ParsedPipeline p, Func<ParsedPipeline, PipelineSpec, T> create) where T : class
    {
        if (p.Spec is null || p.Diagnostics.Any(d => d.Severity == SpecDiagnosticSeverity.Error))
        {
            return null;
        }
        try
        {
            return new Built<T>(create(p, p.Spec), null);
        }
#pragma warning disable CA1031 // the generator must never throw into the compiler
        catch (Exception e)
#pragma warning restore CA1031
        {
            return new Built<T>(null, Internal(p.SourcePath, p.AttributeClass is null || p.Diagnostics.Count == 0 ? null : p.Diagnostics[0].Location, e));
        }
    }

    private static void Output<T>(SourceProductionContext spc, Built<T>? built, Func<T, IEnumerable<(string HintName, string Source)>> emit)
        where T : class
    {
        if (built is null)
        {
            return;
        }
        if (built.Error is { } error)
        {
            spc.ReportDiagnostic(Descriptors.Create(error));
            return;
        }
        try
        {
            foreach (var (hint, source) in emit(built.Model!).ToList())
            {
                spc.AddSource(hint, source);
            }
        }
#pragma warning disable CA1031 // the generator must never throw into the compiler
        catch (Exception e) when (e is not OperationCanceledException)
#pragma warning restore CA1031
        {
            spc.ReportDiagnostic(Descriptors.Create(Internal("", null, e)));
        }
    }

    private static DiagnosticInfo Internal(string path, LocationInfo? location, Exception e)
    {
        var span = path.Length == 0 ? null : LocationInfo.From(SourceSpan.StartOf(path));
        return new DiagnosticInfo(DiagnosticDescriptors.InternalError.Id, SpecDiagnosticSeverity.Error,
            DiagnosticDescriptors.InternalError.FormatMessage(e.GetType().Name + ": " + e.Message), location ?? span);
    }

    private static GeneratorOptions ReadOptions(AnalyzerConfigOptions global)
    {
        global.TryGetValue("build_property.RootNamespace", out var ns);
        global.TryGetValue("build_property.ProjectDir", out var dir);
        global.TryGetValue(ModelFiles.CheckProperty, out var check);
        return new GeneratorOptions(string.IsNullOrWhiteSpace(ns) ? DefaultNamespace : ns!.Trim(), dir?.Trim() ?? "",
            !string.Equals(check?.Trim(), "false", StringComparison.OrdinalIgnoreCase));
    }

    private static string Relative(string path, string projectDir)
    {
        string p = path.Replace('\\', '/');
        string d = projectDir.Replace('\\', '/');
        if (d.Length > 0 && !d.EndsWith("/", StringComparison.Ordinal))
        {
            d += "/";
        }
        return d.Length > 0 && p.StartsWith(d, StringComparison.OrdinalIgnoreCase) ? p.Substring(d.Length) : p;
    }

    private static ParsedPipeline ParseYaml(TextFile file, GeneratorOptions options, ProjectFiles files)
    {
        string relative = Relative(file.Path, options.ProjectDir);
        try
        {
            string? layers = null;
            var result = PipelineParser.Parse(file.Text, file.Path, Reading(files, options, text => layers = text));
            var diagnostics = result.Diagnostics.Select(d => Convert(d, null)).ToArray();
            return new ParsedPipeline(options.Namespace, null, file.Text, relative, null, "public", layers,
                result.HasErrors ? null : result.Spec, EquatableArray.From(diagnostics), file.Path, null);
        }
#pragma warning disable CA1031 // the generator must never throw into the compiler
        catch (Exception e) when (e is not OperationCanceledException)
#pragma warning restore CA1031
        {
            return new ParsedPipeline(options.Namespace, null, file.Text, relative, null, "public", null, null,
                EquatableArray.Of(Internal(file.Path, null, e)), file.Path, null);
        }
    }

    private static DiagnosticInfo Convert(SpecDiagnostic d, LocationInfo? fallback)
    {
        var location = d.LocationToken as LocationInfo ?? (d.Span is { } span ? LocationInfo.From(span) : fallback);
        return new DiagnosticInfo(d.Id, d.Severity, d.Message, location);
    }

    private static AttributeRead? ReadAttributeInput(GeneratorAttributeSyntaxContext ctx, CancellationToken ct)
    {
        if (ctx.TargetSymbol is not INamedTypeSymbol type || type.ContainingType is not null)
        {
            return null;
        }
        var classLocation = LocationInfo.From(type.Locations.FirstOrDefault());
        var occurrences = new List<AttributeOccurrence>();
        var labelNames = new List<string>();
        string? userEnum = null;
        bool isPublic = type.DeclaredAccessibility == Accessibility.Public;
        foreach (var a in type.GetAttributes())
        {
            ct.ThrowIfCancellationRequested();
            var cls = a.AttributeClass;
            if (cls is null || cls.ContainingNamespace?.ToDisplayString() != "TLDsl" || !cls.Name.EndsWith("Attribute", StringComparison.Ordinal))
            {
                continue;
            }
            var syntax = a.ApplicationSyntaxReference?.GetSyntax(ct) as AttributeSyntax;
            var location = LocationInfo.From(syntax?.GetLocation());
            var args = new List<AttributeArgument>();
            for (int i = 0; i < a.ConstructorArguments.Length; i++)
            {
                var arg = a.ConstructorArguments[i];
                var argLocation = syntax?.ArgumentList is { } list && i < list.Arguments.Count ? LocationInfo.From(list.Arguments[i].GetLocation()) : location;
                if (arg.Kind == TypedConstantKind.Type && arg.Value is INamedTypeSymbol t)
                {
                    if (t.TypeKind == TypeKind.Enum)
                    {
                        labelNames.AddRange(t.GetMembers().OfType<IFieldSymbol>().Where(f => f.IsConst).Select(f => f.Name));
                        userEnum = t.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
                        isPublic &= t.DeclaredAccessibility == Accessibility.Public;
                    }
                    args.Add(new AttributeArgument(null, AttributeValue.Type(t.ToDisplayString()), argLocation));
                }
                else if (arg.Kind == TypedConstantKind.Array)
                {
                    // params arrays arrive as one array argument: spread them like the written arguments.
                    args.Add(new AttributeArgument(null, ArrayValue(arg), argLocation));
                }
                else
                {
                    args.Add(new AttributeArgument(null, Scalar(arg), argLocation));
                }
            }
            foreach (var named in a.NamedArguments)
            {
                var argSyntax = syntax?.ArgumentList?.Arguments.FirstOrDefault(s => s.NameEquals?.Name.Identifier.ValueText == named.Key);
                var value = named.Value.Kind == TypedConstantKind.Array ? ArrayValue(named.Value) : Scalar(named.Value);
                args.Add(new AttributeArgument(named.Key, value, LocationInfo.From(argSyntax?.GetLocation()) ?? location));
            }
            string name = cls.Name.Substring(0, cls.Name.Length - "Attribute".Length);
            occurrences.Add(new AttributeOccurrence(name, EquatableArray.From(args), location));
        }
        string ns = type.ContainingNamespace is { IsGlobalNamespace: false } n ? n.ToDisplayString() : "";
        string path = type.Locations.FirstOrDefault()?.SourceTree?.FilePath ?? "";
        var input = new AttributePipelineInput(type.Name, classLocation, EquatableArray.From(occurrences), EquatableArray.From(labelNames), path);
        return new AttributeRead(input, ns, userEnum, isPublic ? "public" : "internal");
    }

    private static AttributeValue Scalar(TypedConstant c) => c.Value switch
    {
        string s => AttributeValue.Of(s),
        bool b => AttributeValue.Of(b),
        int i => AttributeValue.Of((double)i),
        double d => AttributeValue.Of(d),
        float f => AttributeValue.Of((double)f),
        long l => AttributeValue.Of((double)l),
        null => AttributeValue.Of((string?)null),
        var other => AttributeValue.Of(System.Convert.ToString(other, CultureInfo.InvariantCulture)),
    };

    private static AttributeValue ArrayValue(TypedConstant c)
    {
        var items = c.Values;
        if (items.Length > 0 && items.All(v => v.Value is string))
        {
            return AttributeValue.Of(items.Select(v => (string)v.Value!).ToArray());
        }
        if (items.Length > 0 && items.All(v => v.Value is double or int or float))
        {
            return AttributeValue.Of(items.Select(v => System.Convert.ToDouble(v.Value, CultureInfo.InvariantCulture)).ToArray());
        }
        return c.Type is IArrayTypeSymbol { ElementType.SpecialType: SpecialType.System_String } || items.Length == 0
            ? AttributeValue.Of(Array.Empty<string>())
            : AttributeValue.Of(items.Select(v => System.Convert.ToDouble(v.Value, CultureInfo.InvariantCulture)).ToArray());
    }

    /// <summary>Parse options whose file reader serves the project's additional files (the only files a generator may
    /// read); <paramref name="read"/> receives what was read: an ONNX layer listing, from which the typed layout comes.
    /// Weights files and ONNX bases must be among the build's model files (unless the project turned the check off).</summary>
    private static PipelineParseOptions Reading(ProjectFiles files, GeneratorOptions options, Action<string> read) => new()
    {
        FileExists = options.CheckModelFiles ? path => ModelFiles.Contains(files.Models, path) : null,
        ReadFile = path =>
        {
            string wanted = path.Replace('\\', '/');
            foreach (var f in files.Texts)
            {
                if (string.Equals(f.Path.Replace('\\', '/'), wanted, StringComparison.Ordinal))
                {
                    read(f.Text);
                    return f.Text;
                }
            }
            return null;
        },
    };

    private static ParsedPipeline ParseAttributes(AttributeRead read, GeneratorOptions options, ProjectFiles files)
    {
        var input = read.Input;
        string relative = Relative(input.SourcePath, options.ProjectDir);
        var fallback = input.ClassLocationToken as LocationInfo;
        // The name: [TransferPipeline("Name")] or Name = "...", else the class.
        var named = input.Attributes.FirstOrDefault(a => a.Name == "TransferPipeline");
        var nameLocation = named?.Arguments.FirstOrDefault(a => a.Name is null or "Name")?.LocationToken as LocationInfo ?? fallback;
        try
        {
            string? layers = null;
            var result = AttributePipelineReader.Read(input, Reading(files, options, text => layers = text));
            var diagnostics = result.Diagnostics.Select(d => Convert(d, fallback)).ToArray();
            // The pipeline's text (identity, run-folder copy) is the YAML the attributes stand for: it parses to the same spec.
            string text = result.HasErrors ? "" : AttributePipelineYaml.Write(input);
            return new ParsedPipeline(read.Namespace, input.ClassName, text, relative, read.UserLabelEnum, read.Accessibility, layers,
                result.HasErrors ? null : result.Spec, EquatableArray.From(diagnostics), input.SourcePath, nameLocation);
        }
#pragma warning disable CA1031 // the generator must never throw into the compiler
        catch (Exception e) when (e is not OperationCanceledException)
#pragma warning restore CA1031
        {
            return new ParsedPipeline(read.Namespace, input.ClassName, "", relative, null, read.Accessibility, null, null,
                EquatableArray.Of(Internal(input.SourcePath, fallback, e)), input.SourcePath, nameLocation);
        }
    }
}

/// <summary>Project settings the generator reads (value-equatable); <c>CheckModelFiles</c> is off with
/// <c>&lt;TLDslCheckModelFiles&gt;false&lt;/TLDslCheckModelFiles&gt;</c>.</summary>
internal sealed record GeneratorOptions(string Namespace, string ProjectDir, bool CheckModelFiles);

/// <summary>The AdditionalFiles a pipeline may refer to: text files by path and content, model files by path only.</summary>
internal sealed record ProjectFiles(EquatableArray<TextFile> Texts, EquatableArray<string> Models);

/// <summary>An AdditionalFile's path and text.</summary>
internal sealed record TextFile(string Path, string Text);

/// <summary>The attribute input of one class, with its namespace, a user-declared label enum and the accessibility the
/// trainer types can have (public only when the class and its label enum are).</summary>
internal sealed record AttributeRead(AttributePipelineInput Input, string Namespace, string? UserLabelEnum, string Accessibility);

/// <summary>A model to emit, or the internal error that prevented building it.</summary>
internal sealed record Built<T>(T? Model, DiagnosticInfo? Error) where T : class;
