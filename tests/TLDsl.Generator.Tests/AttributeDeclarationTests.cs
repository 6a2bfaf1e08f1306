using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using TLDsl.Spec.Attributes;

namespace TLDsl.Generator.Tests;

/// <summary>The attribute classes the generator emits declare exactly the attributes and named properties of the
/// Spec's attribute table, which is what the reader accepts: an attribute or property on one side only would either
/// not compile for users or be rejected (TLD0037) after compiling.</summary>
public sealed class AttributeDeclarationTests
{
    [Fact]
    public void Generated_attribute_classes_match_the_attribute_table()
    {
        var (driver, _, _) = GeneratorHarness.Run(GeneratorHarness.Compilation());
        string text = GeneratorHarness.Sources(driver).Single(s => s.HintName == "TLDsl.Attributes.g.cs").Text;
        var classes = CSharpSyntaxTree.ParseText(text).GetRoot().DescendantNodes().OfType<ClassDeclarationSyntax>()
            .ToDictionary(c => c.Identifier.Text.Replace("Attribute", "", StringComparison.Ordinal), c => c);

        Assert.Equal(AttributeTable.NamedArguments.Keys.Order(StringComparer.Ordinal), classes.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, declaration) in classes)
        {
            var properties = declaration.Members.OfType<PropertyDeclarationSyntax>()
                .Where(p => p.Modifiers.Any(SyntaxKind.PublicKeyword) && p.AccessorList?.Accessors.Any(a => a.IsKind(SyntaxKind.SetAccessorDeclaration)) == true)
                .Select(p => p.Identifier.Text);
            Assert.True(AttributeTable.NamedArguments[name].Order(StringComparer.Ordinal).SequenceEqual(properties.Order(StringComparer.Ordinal)),
                $"[{name}]: the table allows {string.Join(", ", AttributeTable.NamedArguments[name])}; the class declares {string.Join(", ", properties)}");
        }

        // Head layer attributes take the order first.
        foreach (var head in AttributeTable.HeadLayers.Keys)
        {
            Assert.All(classes[head].Members.OfType<ConstructorDeclarationSyntax>(),
                c => Assert.Equal("int order", c.ParameterList.Parameters[0].ToString()));
        }
    }
}
