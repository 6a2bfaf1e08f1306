using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;

namespace TLDsl.Spec.Catalogue;

/// <summary>
/// The base models known at build time. Data-driven: every embedded <c>Catalogue/Models/*.yaml</c> is a model, so
/// adding a file adds a model. Custom catalogues (tests, ONNX listings) can be built with <see cref="FromModels"/>.
/// </summary>
public sealed class ModelCatalogue
{
    private const string ResourcePrefix = "TLDsl.Spec.Catalogue.Models.";
    private static readonly Lazy<ModelCatalogue> DefaultCatalogue = new(LoadEmbedded);

    // Each model is parsed on first use: a build usually needs one model, not the whole catalogue.
    private readonly Dictionary<string, Lazy<BaseModelInfo>> _models;

    private ModelCatalogue(IEnumerable<KeyValuePair<string, Lazy<BaseModelInfo>>> models)
    {
        _models = models.ToDictionary(m => m.Key, m => m.Value, StringComparer.Ordinal);
    }

    /// <summary>The catalogue embedded in this assembly (model names are the file names).</summary>
    public static ModelCatalogue Default => DefaultCatalogue.Value;

    /// <summary>Model names, sorted.</summary>
    public IReadOnlyList<string> Names => _models.Keys.OrderBy(n => n, StringComparer.Ordinal).ToArray();

    /// <summary>A catalogue holding exactly these models.</summary>
    /// <param name="models">The models; names must be unique.</param>
    public static ModelCatalogue FromModels(IEnumerable<BaseModelInfo> models) =>
        new(models.Select(m => new KeyValuePair<string, Lazy<BaseModelInfo>>(m.Name, new Lazy<BaseModelInfo>(() => m))));

    /// <summary>The embedded catalogue files' texts by model name (for the runtime's catalogue-drift test).</summary>
    public static IReadOnlyDictionary<string, string> ReadEmbeddedTexts()
    {
        var texts = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, resource) in EmbeddedResources())
        {
            texts[name] = ReadResource(resource);
        }

        return texts;
    }

    /// <summary>Looks a model up by its exact name.</summary>
    /// <param name="name">e.g. <c>resnet18</c>.</param>
    /// <param name="model">The model, when found.</param>
    public bool TryGet(string name, out BaseModelInfo model)
    {
        var found = _models.TryGetValue(name, out var value);
        model = found ? value!.Value : null!;
        return found;
    }

    // Only the names are listed up front; a model's text is read, like it is parsed, on first use.
    private static ModelCatalogue LoadEmbedded() =>
        new(EmbeddedResources().Select(pair => new KeyValuePair<string, Lazy<BaseModelInfo>>(
            pair.Name,
            new Lazy<BaseModelInfo>(() =>
                // A broken embedded file is a build bug of this library: fail loudly (a test loads every file);
                // the parser turns the exception into TLD0032 rather than crashing the compiler.
                CatalogueReader.Read(ReadResource(pair.Resource), out var errors)
                ?? throw new InvalidOperationException("Catalogue file " + pair.Name + ".yaml is invalid: " + string.Join("; ", errors))))));

    /// <summary>The embedded catalogue files: model name and resource name.</summary>
    private static IEnumerable<(string Name, string Resource)> EmbeddedResources() =>
        typeof(ModelCatalogue).Assembly.GetManifestResourceNames()
            .Where(r => r.StartsWith(ResourcePrefix, StringComparison.Ordinal) && r.EndsWith(".yaml", StringComparison.Ordinal))
            .Select(r => (r.Substring(ResourcePrefix.Length, r.Length - ResourcePrefix.Length - ".yaml".Length), r));

    private static string ReadResource(string resource)
    {
        using var stream = typeof(ModelCatalogue).Assembly.GetManifestResourceStream(resource)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
