using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using TLDsl.Runtime.Onnx.Proto;

namespace TLDsl.Runtime.Onnx.Import;

/// <summary>Typed access to a node's attributes.</summary>
internal sealed class OnnxAttributes
{
    private readonly Dictionary<string, AttributeProto> _byName = new(StringComparer.Ordinal);

    public OnnxAttributes(NodeProto node)
    {
        foreach (var a in node.Attribute)
        {
            _byName[a.Name] = a;
        }
    }

    public IEnumerable<string> Names => _byName.Keys;

    public bool Has(string name) => _byName.ContainsKey(name);

    public long Int(string name, long fallback) => _byName.TryGetValue(name, out var a) ? a.I : fallback;

    public float Float(string name, float fallback) => _byName.TryGetValue(name, out var a) ? a.F : fallback;

    public long[]? Ints(string name) => _byName.TryGetValue(name, out var a) ? a.Ints.ToArray() : null;

    public float[]? Floats(string name) => _byName.TryGetValue(name, out var a) ? a.Floats.ToArray() : null;

    public string? String(string name) => _byName.TryGetValue(name, out var a) ? Encoding.UTF8.GetString(a.S.Span) : null;

    public TensorProto? Tensor(string name) => _byName.TryGetValue(name, out var a) && a.T is not null ? a.T : null;

    public AttributeProto? Get(string name) => _byName.TryGetValue(name, out var a) ? a : null;
}
