using System.IO;
using System.Linq;
using TLDsl.Runtime.Models;
using TLDsl.Spec.Catalogue;

namespace TLDsl.Runtime.Tests.Models;

/// <summary>The generator checks pipelines against TLDsl.Spec's catalogue; these tests hold the catalogue to the real
/// TorchSharp modules. After changing an architecture, run with TLDSL_ACCEPT=1 to regenerate the files.</summary>
public sealed class CatalogueTests
{
    public static TheoryData<string> Names => new(ModelZoo.All.Select(a => a.Name));

    [Theory]
    [MemberData(nameof(Names))]
    public void The_committed_catalogue_file_equals_the_export_of_the_real_module(string name)
    {
        string path = RepoPaths.Get("src", "TLDsl.Spec", "Catalogue", "Models", name + ".yaml");
        string exported = CatalogueExporter.Export(ModelZoo.Get(name));
        if (RepoPaths.Accept)
        {
            File.WriteAllText(path, exported);
        }
        Assert.True(File.Exists(path), $"{path} is missing; run the tests with TLDSL_ACCEPT=1 to write it");
        string committed = File.ReadAllText(path).ReplaceLineEndings("\n");
        if (committed != exported)
        {
            File.WriteAllText(Path.ChangeExtension(path, ".received.yaml"), exported);
        }
        Assert.Equal(committed, exported);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void The_spec_reads_every_exported_file(string name)
    {
        var info = CatalogueReader.Read(CatalogueExporter.Export(ModelZoo.Get(name)), out var errors);
        Assert.Empty(errors);
        Assert.NotNull(info);
        var architecture = ModelZoo.Get(name);
        var module = architecture.Create();
        Assert.Equal(module.named_modules().Count(m => m.name.Length > 0), info!.Modules.Count);
        Assert.Equal(module.parameters().Sum(p => p.numel()), info.Modules.Sum(m => m.Parameters.Sum(p => p.Shape.Aggregate(1L, (a, b) => a * b))));
    }
}
