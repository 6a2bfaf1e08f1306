using System.Collections.Generic;
using TLDsl.Spec.Diagnostics;

namespace TLDsl.Spec.Yaml;

/// <summary>
/// Maps display paths to locations, so the semantic validator (which sees only location-free spec records) can
/// place its diagnostics on the right YAML node or attribute. Unknown paths fall back to the nearest ancestor.
/// </summary>
internal sealed class NodeLocator
{
    private readonly Dictionary<string, NodeLocation> _values = new();
    private readonly Dictionary<string, NodeLocation> _keys = new();
    private readonly NodeLocation _root;

    public NodeLocator(YNode? root, NodeLocation rootLocation)
    {
        _root = rootLocation;
        if (root is not null)
        {
            Register(root, string.Empty, 0);
        }
    }

    /// <summary>True when the path was written in the source.</summary>
    public bool Has(string path) => _values.ContainsKey(path);

    /// <summary>The value's location.</summary>
    public NodeLocation Value(string path)
    {
        for (string? p = path; p is not null; p = NodePaths.Parent(p))
        {
            if (_values.TryGetValue(p, out var location))
            {
                return location;
            }
        }

        return _root;
    }

    /// <summary>The key's location (for "missing key" and "unknown key"), else the value's.</summary>
    public NodeLocation Key(string path)
    {
        for (string? p = path; p is not null; p = NodePaths.Parent(p))
        {
            if (_keys.TryGetValue(p, out var location))
            {
                return location;
            }
        }

        return _root;
    }

    private void Register(YNode node, string path, int depth)
    {
        // Aliases share nodes; the depth bound keeps a shared subtree from being walked without end.
        if (depth > 64 || _values.ContainsKey(path))
        {
            return;
        }

        _values[path] = node.Location;
        switch (node)
        {
            case YMapping mapping:
                foreach (var entry in mapping.Entries)
                {
                    var child = NodePaths.Child(path, entry.Key.Value);
                    _keys[child] = entry.Key.Location;
                    Register(entry.Value, child, depth + 1);
                }

                break;
            case YSequence sequence:
                for (var i = 0; i < sequence.Items.Count; i++)
                {
                    Register(sequence.Items[i], NodePaths.Index(path, i), depth + 1);
                }

                break;
        }
    }
}
