using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Weights;

/// <summary>A storage a pickle refers to: the archive's <c>data/&lt;Key&gt;</c> entry of <see cref="Count"/> elements.</summary>
internal sealed record PickledStorage(string Key, ScalarType DType, long Count);

/// <summary>A tensor a pickle rebuilds (<c>torch._utils._rebuild_tensor_v2</c>): a strided view of a storage.</summary>
internal sealed record PickledTensor(PickledStorage Storage, long Offset, long[] Shape, long[] Stride);

/// <summary>
/// Runs the pickle of a <c>torch.save(state_dict)</c> file (data.pkl) on a closed set of opcodes and globals, building
/// plain values instead of calling anything: a pickle that names any other global (a whole pickled model, a custom
/// class, <c>os.system</c>...) or uses another opcode is refused, naming it. Every dict refuses a key given twice (the
/// Python unpickler, and TorchSharp.PyBridge's, keep the last one silently).
/// </summary>
internal sealed class StateDictPickle
{
    private sealed record Global(string Module, string Name);

    /// <summary>A dict or OrderedDict; keys in order, each once.</summary>
    private sealed class PyDict
    {
        public List<KeyValuePair<object, object?>> Items { get; } = [];

        public HashSet<object> Keys { get; } = [];
    }

    private sealed class Mark
    {
        public static readonly Mark Instance = new();
    }

    private static readonly Dictionary<string, ScalarType> Storages = new(StringComparer.Ordinal)
    {
        ["DoubleStorage"] = ScalarType.Float64,
        ["FloatStorage"] = ScalarType.Float32,
        ["HalfStorage"] = ScalarType.Float16,
        ["BFloat16Storage"] = ScalarType.BFloat16,
        ["LongStorage"] = ScalarType.Int64,
        ["IntStorage"] = ScalarType.Int32,
        ["ShortStorage"] = ScalarType.Int16,
        ["CharStorage"] = ScalarType.Int8,
        ["ByteStorage"] = ScalarType.Byte,
        ["BoolStorage"] = ScalarType.Bool,
        ["ComplexFloatStorage"] = ScalarType.ComplexFloat32,
        ["ComplexDoubleStorage"] = ScalarType.ComplexFloat64,
    };

    /// <summary>The globals a state dict needs, for messages.</summary>
    public const string AllowedGlobals = "collections.OrderedDict, torch._utils._rebuild_tensor_v2, torch._utils._rebuild_parameter, torch.<Type>Storage";

    private readonly byte[] _pickle;
    private readonly Func<string, Exception> _invalid;
    private readonly List<object?> _stack = [];
    private readonly Dictionary<long, object?> _memo = [];
    private readonly Dictionary<string, PickledStorage> _storages = new(StringComparer.Ordinal);
    private int _position;

    private StateDictPickle(byte[] pickle, Func<string, Exception> invalid)
    {
        _pickle = pickle;
        _invalid = invalid;
    }

    /// <summary>Runs <paramref name="pickle"/> and returns its name → tensor entries in file order.</summary>
    /// <param name="pickle">The bytes of data.pkl.</param>
    /// <param name="invalid">Makes the exception for a violation, from its description.</param>
    public static List<KeyValuePair<string, PickledTensor>> Read(byte[] pickle, Func<string, Exception> invalid)
    {
        var machine = new StateDictPickle(pickle, invalid);
        object? root = machine.Run();
        if (root is not PyDict dict)
        {
            throw invalid($"data.pkl holds {Describe(root)}; a state dict (name -> tensor) is expected");
        }
        var result = new List<KeyValuePair<string, PickledTensor>>(dict.Items.Count);
        foreach (var (key, value) in dict.Items)
        {
            if (key is not string name || value is not PickledTensor tensor)
            {
                throw invalid($"entry '{key}' is {Describe(value)}, not a tensor; a state dict (name -> tensor) is expected, not a whole pickled model or checkpoint");
            }
            result.Add(new(name, tensor));
        }
        return result;
    }

    private object? Run()
    {
        while (true)
        {
            int at = _position;
            byte op = Byte();
            switch (op)
            {
                case 0x80: // PROTO
                    if (Byte() > 5)
                    {
                        throw Error(at, "uses a pickle protocol above 5");
                    }
                    break;
                case 0x95: // FRAME: a length prefix only
                    Bytes(8);
                    break;
                case (byte)'.': // STOP
                    if (_stack.Count != 1)
                    {
                        throw Error(at, $"stops with {_stack.Count} values on the stack instead of one");
                    }
                    if (_position != _pickle.Length)
                    {
                        throw Error(at, $"has {_pickle.Length - _position} bytes after its STOP opcode");
                    }
                    return _stack[0];
                case (byte)'(': Push(Mark.Instance); break;
                case (byte)'}': Push(new PyDict()); break;
                case (byte)']': Push(new List<object?>()); break;
                case (byte)')': Push(Array.Empty<object?>()); break;
                case (byte)'t': Push(PopToMark(at).ToArray()); break;
                case 0x85: Push(new[] { Pop(at) }); break;
                case 0x86: { var b = Pop(at); var a = Pop(at); Push(new[] { a, b }); break; }
                case 0x87: { var c = Pop(at); var b = Pop(at); var a = Pop(at); Push(new[] { a, b, c }); break; }
                case (byte)'a': { var v = Pop(at); List(at, Peek(at)).Add(v); break; }
                case (byte)'e': { var items = PopToMark(at); List(at, Peek(at)).AddRange(items); break; }
                case (byte)'s': { var v = Pop(at); var k = Pop(at); SetItem(at, Peek(at), k, v); break; }
                case (byte)'u':
                    {
                        var items = PopToMark(at);
                        if (items.Count % 2 != 0)
                        {
                            throw Error(at, "SETITEMS has an odd number of values");
                        }
                        var target = Peek(at);
                        for (int i = 0; i < items.Count; i += 2)
                        {
                            SetItem(at, target, items[i], items[i + 1]);
                        }
                        break;
                    }
                case (byte)'N': Push(null); break;
                case 0x88: Push(true); break;
                case 0x89: Push(false); break;
                case (byte)'K': Push((long)Byte()); break;
                case (byte)'M': Push((long)BinaryPrimitives.ReadUInt16LittleEndian(Bytes(2))); break;
                case (byte)'J': Push((long)BinaryPrimitives.ReadInt32LittleEndian(Bytes(4))); break;
                case 0x8a: Push(Long1(at)); break;
                case (byte)'G': Push(BinaryPrimitives.ReadDoubleBigEndian(Bytes(8))); break;
                case (byte)'X': Push(Utf8(at, Bytes(Length32(at)))); break;
                case 0x8c: Push(Utf8(at, Bytes(Byte()))); break;
                case 0x8d: Push(Utf8(at, Bytes(Length64(at)))); break;
                case (byte)'U': Push(Encoding.Latin1.GetString(Bytes(Byte()))); break;
                case (byte)'T': Push(Encoding.Latin1.GetString(Bytes(Length32(at)))); break;
                case (byte)'C': Push(Bytes(Byte()).ToArray()); break;
                case (byte)'B': Push(Bytes(Length32(at)).ToArray()); break;
                case (byte)'q': _memo[Byte()] = Peek(at); break;
                case (byte)'r': _memo[BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4))] = Peek(at); break;
                case 0x94: _memo[_memo.Count] = Peek(at); break;
                case (byte)'h': Push(Get(at, Byte())); break;
                case (byte)'j': Push(Get(at, BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4)))); break;
                case (byte)'c': Push(MakeGlobal(at, Line(at), Line(at))); break;
                case 0x93: { var name = Pop(at); var module = Pop(at); Push(MakeGlobal(at, module as string ?? "?", name as string ?? "?")); break; }
                case (byte)'R': { var args = Pop(at); var callable = Pop(at); Push(Reduce(at, callable, args)); break; }
                case (byte)'b': { var state = Pop(at); Build(at, Peek(at), state); break; }
                case (byte)'Q': Push(PersistentLoad(at, Pop(at))); break;
                default:
                    throw Error(at, $"uses the opcode 0x{op:x2}, which a state dict does not need");
            }
        }
    }

    private Exception Error(int at, string detail) => _invalid($"data.pkl {detail} (at byte {at})");

    private byte Byte()
    {
        if (_position >= _pickle.Length)
        {
            throw _invalid("data.pkl ends without a STOP opcode: it is truncated");
        }
        return _pickle[_position++];
    }

    private ReadOnlySpan<byte> Bytes(long count)
    {
        if (count > _pickle.Length - _position)
        {
            throw _invalid($"data.pkl ends inside a {count}-byte value: it is truncated");
        }
        var span = _pickle.AsSpan(_position, (int)count);
        _position += (int)count;
        return span;
    }

    private long Length32(int at) => BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4));

    private long Length64(int at)
    {
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(Bytes(8));
        return n > int.MaxValue ? throw Error(at, $"has a {n}-byte string") : (long)n;
    }

    private long Long1(int at)
    {
        int n = Byte();
        if (n > 8)
        {
            throw Error(at, $"has a {n}-byte integer; at most 8 bytes are allowed");
        }
        var bytes = Bytes(n);
        long value = 0;
        for (int i = n - 1; i >= 0; i--)
        {
            value = (value << 8) | bytes[i];
        }
        // Two's complement: sign-extend from the top byte written.
        if (n is > 0 and < 8 && (bytes[n - 1] & 0x80) != 0)
        {
            value -= 1L << (8 * n);
        }
        return value;
    }

    private string Utf8(int at, ReadOnlySpan<byte> bytes)
    {
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw Error(at, "has a string that is not valid UTF-8");
        }
    }

    private string Line(int at)
    {
        int end = Array.IndexOf(_pickle, (byte)'\n', _position);
        if (end < 0)
        {
            throw Error(at, "has a GLOBAL without its line end");
        }
        string text = Encoding.ASCII.GetString(_pickle, _position, end - _position);
        _position = end + 1;
        return text;
    }

    private void Push(object? value) => _stack.Add(value);

    private object? Pop(int at)
    {
        if (_stack.Count == 0 || _stack[^1] is Mark)
        {
            throw Error(at, "pops an empty stack");
        }
        var value = _stack[^1];
        _stack.RemoveAt(_stack.Count - 1);
        return value;
    }

    private object? Peek(int at) => _stack.Count > 0 && _stack[^1] is not Mark ? _stack[^1] : throw Error(at, "reads an empty stack");

    private List<object?> PopToMark(int at)
    {
        int mark = _stack.FindLastIndex(v => v is Mark);
        if (mark < 0)
        {
            throw Error(at, "has no MARK for a tuple, list or dict");
        }
        var items = _stack.GetRange(mark + 1, _stack.Count - mark - 1);
        _stack.RemoveRange(mark, _stack.Count - mark);
        return items;
    }

    private object? Get(int at, long index) =>
        _memo.TryGetValue(index, out var value) ? value : throw Error(at, $"reads the memo entry {index}, which was never stored");

    private List<object?> List(int at, object? target) =>
        target as List<object?> ?? throw Error(at, $"appends to {Describe(target)}");

    private void SetItem(int at, object? target, object? key, object? value)
    {
        if (target is not PyDict dict)
        {
            throw Error(at, $"sets an item of {Describe(target)}");
        }
        if (key is not (string or long or bool))
        {
            throw Error(at, $"uses {Describe(key)} as a dict key");
        }
        if (!dict.Keys.Add(key))
        {
            throw _invalid($"the key '{key}' is in a dict twice (at byte {at} of data.pkl)");
        }
        dict.Items.Add(new(key, value));
    }

    private Global MakeGlobal(int at, string module, string name)
    {
        bool allowed = (module, name) switch
        {
            ("collections", "OrderedDict") => true,
            ("torch._utils", "_rebuild_tensor_v2" or "_rebuild_parameter") => true,
            ("torch", _) => Storages.ContainsKey(name),
            _ => false,
        };
        return allowed
            ? new Global(module, name)
            : throw _invalid($"data.pkl refers to the Python global '{module}.{name}' (at byte {at}), which a state dict does not need; allowed: {AllowedGlobals}. Save model.state_dict(), not the model");
    }

    private object Reduce(int at, object? callable, object? args)
    {
        if (callable is not Global global || args is not object?[] arguments)
        {
            throw Error(at, $"calls {Describe(callable)}");
        }
        switch (global.Name)
        {
            // OrderedDict() from torch.save, OrderedDict(()) from TorchSharp.PyBridge's writer.
            case "OrderedDict" when arguments.Length == 0 || arguments is [object?[] { Length: 0 } or List<object?> { Count: 0 }]:
                return new PyDict();
            case "_rebuild_tensor_v2" when arguments.Length is 6 or 7:
                return RebuildTensor(at, arguments);
            case "_rebuild_parameter" when arguments.Length is 3 && arguments[0] is PickledTensor tensor:
                return tensor;
            default:
                throw Error(at, $"calls {global.Module}.{global.Name} with {arguments.Length} arguments");
        }
    }

    private PickledTensor RebuildTensor(int at, object?[] args)
    {
        if (args[0] is not PickledStorage storage)
        {
            throw Error(at, $"rebuilds a tensor from {Describe(args[0])}, not a storage");
        }
        long offset = args[1] is long o ? o : throw Error(at, "rebuilds a tensor with a storage offset that is not an integer");
        long[] shape = Integers(at, args[2], "size");
        long[] stride = Integers(at, args[3], "stride");
        if (args[4] is not bool)
        {
            throw Error(at, "rebuilds a tensor whose requires_grad is not True or False");
        }
        if (args[5] is not PyDict { Items.Count: 0 })
        {
            throw Error(at, "rebuilds a tensor with backward hooks");
        }
        return new PickledTensor(storage, offset, shape, stride);
    }

    private long[] Integers(int at, object? value, string what) =>
        value is object?[] items && items.All(i => i is long)
            ? items.Select(i => (long)i!).ToArray()
            : throw Error(at, $"rebuilds a tensor whose {what} is {Describe(value)}, not a tuple of integers");

    /// <summary>torch.save pickles a state dict's <c>_metadata</c> (per-module versions) as the OrderedDict's state;
    /// it is checked like everything else, then not needed.</summary>
    private void Build(int at, object? target, object? state)
    {
        if (target is not PyDict || state is not (PyDict or null))
        {
            throw Error(at, $"sets the state of {Describe(target)} to {Describe(state)}");
        }
    }

    private PickledStorage PersistentLoad(int at, object? pid)
    {
        if (pid is not object?[] { Length: 5 } parts || parts[0] is not "storage")
        {
            throw Error(at, $"has a persistent id {Describe(pid)} that is not ('storage', type, key, location, count)");
        }
        if (parts[1] is not Global { Module: "torch" } type || !Storages.TryGetValue(type.Name, out var dtype))
        {
            throw Error(at, $"has a storage of type {(parts[1] is Global g ? $"{g.Module}.{g.Name}" : Describe(parts[1]))}");
        }
        if (parts[2] is not string key || key.Length == 0 || key.Any(c => !char.IsAsciiLetterOrDigit(c) && c != '_'))
        {
            throw Error(at, $"names the storage '{parts[2]}'; a storage key is letters, digits and '_'");
        }
        if (parts[3] is not string)
        {
            throw Error(at, $"gives storage '{key}' a location that is not a string");
        }
        if (parts[4] is not long count || count < 0)
        {
            throw Error(at, $"gives storage '{key}' {Describe(parts[4])} as its element count");
        }
        var storage = new PickledStorage(key, dtype, count);
        if (_storages.TryGetValue(key, out var known))
        {
            return known == storage
                ? known
                : throw _invalid($"data.pkl describes storage '{key}' twice, as {known.DType} x {known.Count} and as {dtype} x {count} (at byte {at})");
        }
        _storages[key] = storage;
        return storage;
    }

    private static string Describe(object? value) => value switch
    {
        null => "None",
        string s => $"the string '{s}'",
        long n => $"the integer {n}",
        double d => $"the number {d}",
        bool b => b ? "True" : "False",
        PyDict => "a dict",
        PickledTensor => "a tensor",
        PickledStorage s => $"storage '{s.Key}'",
        Global g => $"the global {g.Module}.{g.Name}",
        object?[] => "a tuple",
        List<object?> => "a list",
        byte[] => "bytes",
        _ => value.GetType().Name,
    };
}
