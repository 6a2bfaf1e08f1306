using System;
using System.Collections.Generic;
using System.IO;
using TLDsl.Spec.Diagnostics;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace TLDsl.Spec.Yaml;

/// <summary>
/// Reads YAML text into a <see cref="YNode"/> tree through YamlDotNet's event parser only: no deserializer, so no tag
/// can instantiate a type. Tags are rejected, duplicate keys reported, and size, depth and alias expansion are
/// bounded so that a hostile file costs bounded time and memory.
/// </summary>
internal sealed class SafeYamlReader
{
    /// <summary>Largest accepted file, in characters (pipelines are a few kilobytes).</summary>
    public const int MaxCharacters = 1_000_000;

    /// <summary>Deepest accepted nesting of mappings and sequences.</summary>
    public const int MaxDepth = 64;

    /// <summary>Most nodes the document may have once every alias is expanded (the "billion laughs" guard).</summary>
    public const int MaxExpandedNodes = 100_000;

    private readonly string _filePath;
    private readonly DiagnosticBag _bag;
    private readonly Dictionary<string, (YNode Node, long Size)> _anchors = new(StringComparer.Ordinal);
    private Parser _parser = null!;
    private long _expanded;
    private bool _aliased;
    private bool _fatal;
    private Mark _lastGood = Mark.Empty;
    private readonly Stack<Mark> _openFlow = new();

    // The path of the node being read, as segments (a key, or an index when Key is null): only messages need it as
    // text, so it is built on demand rather than for every node.
    private readonly List<(string? Key, int Index)> _path = new();

    private SafeYamlReader(string filePath, DiagnosticBag bag)
    {
        _filePath = filePath;
        _bag = bag;
    }

    /// <summary>
    /// Reads the single document of <paramref name="text"/>; null when it is empty or unreadable. <paramref name="fatal"/>
    /// is true when the text could not be read to the end (syntax, limits): nothing more can be said about it then.
    /// Tags and duplicate keys are reported but not fatal, so the rest of the file is still checked.
    /// </summary>
    public static YNode? Read(string text, string filePath, DiagnosticBag bag, out bool fatal)
    {
        if (text.Length > MaxCharacters)
        {
            bag.Report(DiagnosticDescriptors.FileTooLarge, new NodeLocation(SourceSpan.StartOf(filePath), null), MaxCharacters);
            fatal = true;
            return null;
        }

        var reader = new SafeYamlReader(filePath, bag);
        var root = reader.ReadStream(text);
        fatal = reader._fatal;
        return root;
    }

    private YNode? ReadStream(string text)
    {
        try
        {
            _parser = new Parser(new StringReader(text));
            _parser.MoveNext();
            Expect<StreamStart>();
            if (_parser.Current is StreamEnd)
            {
                return null;
            }

            Expect<DocumentStart>();
            YNode? root = _parser.Current is DocumentEnd ? null : ReadNode(1).Node;
            Expect<DocumentEnd>();
            if (_parser.Current is DocumentStart extra)
            {
                _bag.Report(DiagnosticDescriptors.MultipleDocuments, Locate(extra.Start, extra.End));
                _fatal = true;
                return null;
            }

            return root;
        }
        catch (YamlException ex)
        {
            _bag.Report(DiagnosticDescriptors.YamlSyntax, Locate(ex.Start, ex.End), CleanMessage(ex.Message));
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet 18's scanner throws this (not a YamlException) on some unclosed flow collections: "[a, b" + newline.
            // Point at the innermost '[' or '{' still open: that is almost always the culprit.
            var at = _openFlow.Count > 0 ? _openFlow.Peek() : _lastGood;
            _bag.Report(DiagnosticDescriptors.YamlSyntax, Locate(at, at), "the text cannot be read from here on; look for an unclosed '[', '{' or quote");
        }
        catch (StopReadingException)
        {
        }

        _fatal = true;
        return null;
    }

    private void Expect<T>()
        where T : ParsingEvent
    {
        Remember();
        if (_parser.Current is not null && _parser.Current is not T)
        {
            throw new YamlException(_parser.Current.Start, _parser.Current.End, "Unexpected " + _parser.Current.GetType().Name);
        }

        _parser.MoveNext();
    }

    private void Remember()
    {
        if (_parser.Current is not null)
        {
            _lastGood = _parser.Current.Start;
        }
    }

    private (YNode Node, long Size) ReadNode(int depth)
    {
        var current = _parser.Current ?? throw new YamlException("Unexpected end of the document");
        Remember();
        if (depth > MaxDepth)
        {
            _bag.Report(DiagnosticDescriptors.NestingTooDeep, Locate(current.Start, current.End), MaxDepth);
            throw new StopReadingException();
        }

        if (current is AnchorAlias alias)
        {
            return ReadAlias(alias);
        }

        var nodeEvent = (NodeEvent)current;
        if (!nodeEvent.Tag.IsEmpty && !nodeEvent.Tag.IsNonSpecific)
        {
            _bag.Report(DiagnosticDescriptors.TagNotAllowed, Locate(current.Start, current.End), Text.UserText.Quote(nodeEvent.Tag.Value));
        }

        var result = current switch
        {
            Scalar scalar => ReadScalar(scalar),
            SequenceStart start => ReadSequence(start, depth),
            MappingStart start => ReadMapping(start, depth),
            _ => throw new YamlException(current.Start, current.End, "Unexpected " + current.GetType().Name),
        };
        Count(1, current);
        if (!nodeEvent.Anchor.IsEmpty)
        {
            _anchors[nodeEvent.Anchor.Value] = result;
        }

        return result;
    }

    private (YNode Node, long Size) ReadAlias(AnchorAlias alias)
    {
        if (!_anchors.TryGetValue(alias.Value.Value, out var target))
        {
            throw new YamlException(alias.Start, alias.End, "Alias '*" + alias.Value.Value + "' refers to no earlier anchor");
        }

        // The tree shares the anchored node; the count charges its full expanded size, which is what a consumer walks.
        _aliased = true;
        Count(target.Size, alias);
        _parser.MoveNext();
        return (target.Node.At(Locate(alias.Start, alias.End)), target.Size);
    }

    private (YNode Node, long Size) ReadScalar(Scalar scalar)
    {
        _parser.MoveNext();
        return (new YScalar(scalar.Value, scalar.Style == ScalarStyle.Plain, Locate(scalar.Start, scalar.End)), 1);
    }

    private (YNode Node, long Size) ReadSequence(SequenceStart start, int depth)
    {
        if (start.Style == SequenceStyle.Flow)
        {
            _openFlow.Push(start.Start);
        }

        _parser.MoveNext();
        var items = new List<YNode>();
        long size = 1;
        while (_parser.Current is not SequenceEnd)
        {
            _path.Add((null, items.Count));
            var (node, childSize) = ReadNode(depth + 1);
            _path.RemoveAt(_path.Count - 1);
            items.Add(node);
            size += childSize;
        }

        var end = _parser.Current;
        _parser.MoveNext();
        if (start.Style == SequenceStyle.Flow)
        {
            _openFlow.Pop();
        }

        var sequence = new YSequence(Locate(start.Start, end.End));
        sequence.Items.AddRange(items);
        return (sequence, size);
    }

    private (YNode Node, long Size) ReadMapping(MappingStart start, int depth)
    {
        if (start.Style == MappingStyle.Flow)
        {
            _openFlow.Push(start.Start);
        }

        _parser.MoveNext();
        var entries = new List<YEntry>();
        long size = 1;
        while (_parser.Current is not MappingEnd)
        {
            var (key, keySize) = ReadNode(depth + 1);
            if (key is YScalar k)
            {
                _path.Add((k.Value, 0));
            }

            var (value, valueSize) = ReadNode(depth + 1);
            if (key is YScalar)
            {
                _path.RemoveAt(_path.Count - 1);
            }

            size += keySize + valueSize;
            if (key is not YScalar keyScalar || keyScalar.IsNull)
            {
                _bag.Report(DiagnosticDescriptors.WrongType, key.Location, "A key in " + NodePaths.Display(CurrentPath()), "a word", key.Describe());
                continue;
            }

            var first = Find(entries, keyScalar.Value);
            if (first is not null)
            {
                _bag.Report(DiagnosticDescriptors.DuplicateKey, keyScalar.Location, Text.UserText.Quote(keyScalar.Value), NodePaths.Display(CurrentPath()), "line " + (first.Key.Location.Span?.StartLine ?? 0).ToString(System.Globalization.CultureInfo.InvariantCulture));
                continue;
            }

            entries.Add(new YEntry(keyScalar, value));
        }

        var end = _parser.Current;
        _parser.MoveNext();
        if (start.Style == MappingStyle.Flow)
        {
            _openFlow.Pop();
        }

        var mapping = new YMapping(Locate(start.Start, end.End));
        mapping.Entries.AddRange(entries);
        return (mapping, size);
    }

    private static YEntry? Find(List<YEntry> entries, string key)
    {
        foreach (var entry in entries)
        {
            if (entry.Key.Value == key)
            {
                return entry;
            }
        }

        return null;
    }

    private string CurrentPath()
    {
        var path = string.Empty;
        foreach (var (key, index) in _path)
        {
            path = key is null ? NodePaths.Index(path, index) : NodePaths.Child(path, key);
        }

        return path;
    }

    private void Count(long nodes, ParsingEvent at)
    {
        _expanded += nodes;
        if (_expanded > MaxExpandedNodes)
        {
            _bag.Report(DiagnosticDescriptors.AliasExpansionLimit, Locate(at.Start, at.End), MaxExpandedNodes, _aliased ? " once its aliases are expanded" : string.Empty);
            throw new StopReadingException();
        }
    }

    private NodeLocation Locate(Mark start, Mark end)
    {
        var startLine = (int)Math.Max(1, start.Line);
        var startColumn = (int)Math.Max(1, start.Column);
        var offset = (int)Math.Max(0, start.Index);
        var endOffset = (int)Math.Max(offset, end.Index);
        var span = new SourceSpan(
            _filePath,
            startLine,
            startColumn,
            (int)Math.Max(startLine, end.Line),
            (int)Math.Max(1, end.Column),
            offset,
            endOffset - offset);
        return new NodeLocation(span, null);
    }

    // YamlDotNet prefixes messages with "(Line: 1, Col: 2, Idx: 3) - (...): "; the diagnostic carries the location itself.
    private static string CleanMessage(string message)
    {
        var marker = message.IndexOf("): ", StringComparison.Ordinal);
        return message.StartsWith("(Line:", StringComparison.Ordinal) && marker >= 0 ? message.Substring(marker + 3) : message;
    }

    private sealed class StopReadingException : Exception
    {
    }
}
