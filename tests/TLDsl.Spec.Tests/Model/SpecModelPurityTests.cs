using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using TLDsl.Spec.Catalogue;
using TLDsl.Spec.Model;

namespace TLDsl.Spec.Tests.Model;

/// <summary>
/// Spec records must be immutable, value-equatable and location-free (an incremental generator caches on them):
/// this walks every type reachable from PipelineSpec and BaseModelInfo and fails on arrays, mutable collections,
/// settable properties, location-like data or Roslyn types.
/// </summary>
public class SpecModelPurityTests
{
    private static readonly string[] LocationWords = { "Line", "Column", "Offset", "Span", "Location", "Position", "Mark" };

    [Theory]
    [InlineData(typeof(PipelineSpec))]
    [InlineData(typeof(BaseModelInfo))]
    public void Model_graph_is_immutable_equatable_and_location_free(Type root)
    {
        var problems = new List<string>();
        var seen = new HashSet<Type>();
        Walk(root, problems, seen);
        Assert.True(problems.Count == 0, string.Join("\n", problems));
        Assert.True(seen.Count > 5, "the walk should reach the nested records");
    }

    [Fact]
    public void Walk_catches_a_mutable_array() =>
        Assert.NotEmpty(ProblemsOf(typeof(BadRecord)));

    [Fact]
    public void Walk_catches_location_data() =>
        Assert.NotEmpty(ProblemsOf(typeof(RecordWithLine)));

    private static List<string> ProblemsOf(Type type)
    {
        var problems = new List<string>();
        Walk(type, problems, new HashSet<Type>());
        return problems;
    }

    private static void Walk(Type type, List<string> problems, HashSet<Type> seen)
    {
        if (type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || !seen.Add(type))
        {
            return;
        }

        if (Nullable.GetUnderlyingType(type) is { } underlying)
        {
            Walk(underlying, problems, seen);
            return;
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(EquatableArray<>))
        {
            Walk(type.GetGenericArguments()[0], problems, seen);
            return;
        }

        if (type.IsArray || (typeof(IEnumerable).IsAssignableFrom(type) && type != typeof(string)))
        {
            problems.Add(type.Name + " is a collection that is not an EquatableArray");
            return;
        }

        if ((type.Namespace ?? string.Empty).StartsWith("Microsoft.CodeAnalysis", StringComparison.Ordinal) || type == typeof(object))
        {
            problems.Add(type.Name + " is not a spec type");
            return;
        }

        if (!typeof(IEquatable<>).MakeGenericType(type).IsAssignableFrom(type))
        {
            problems.Add(type.Name + " does not implement IEquatable<" + type.Name + ">");
        }

        // Abstract records: walk the derived records too (HeadLayerSpec, AugmentSpec).
        foreach (var derived in type.Assembly.GetTypes().Where(t => t.BaseType == type))
        {
            Walk(derived, problems, seen);
        }

        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.Name == "EqualityContract")
            {
                continue;
            }

            if (LocationWords.Any(w => property.Name.Contains(w, StringComparison.Ordinal)) && property.DeclaringType!.Namespace!.StartsWith("TLDsl", StringComparison.Ordinal))
            {
                problems.Add(type.Name + "." + property.Name + " looks like location data");
            }

            var setter = property.SetMethod;
            if (setter is not null && setter.IsPublic && !setter.ReturnParameter.GetRequiredCustomModifiers().Any(m => m.Name == "IsExternalInit"))
            {
                problems.Add(type.Name + "." + property.Name + " has a public setter");
            }

            Walk(property.PropertyType, problems, seen);
        }
    }

    private sealed record BadRecord(int[] Values);

    private sealed record RecordWithLine(int StartLine);
}
