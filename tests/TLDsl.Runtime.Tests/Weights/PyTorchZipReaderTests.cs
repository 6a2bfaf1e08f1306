using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using TLDsl.Runtime.Tests.Fixtures;
using TLDsl.Runtime.Weights;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Tests.Weights;

/// <summary>Hostile torch.save files: the zip and its data.pkl are written opcode by opcode here (not by a product or
/// library writer), and each rule of the strict reader is broken once.</summary>
public sealed class PyTorchZipReaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tldsl-pth").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Pickle protocol 2 opcodes, as torch.save writes them.</summary>
    private sealed class Pickle
    {
        public List<byte> Bytes { get; } = [0x80, 2];

        public Pickle Op(params byte[] bytes)
        {
            Bytes.AddRange(bytes);
            return this;
        }

        public Pickle Global(string module, string name) => Op((byte)'c').Op(Encoding.ASCII.GetBytes($"{module}\n{name}\n"));

        public Pickle Str(string s)
        {
            byte[] utf8 = Encoding.UTF8.GetBytes(s);
            return Op((byte)'X').Op(BitConverter.GetBytes(utf8.Length)).Op(utf8);
        }

        public Pickle Int(long n) => n is >= 0 and < 256 ? Op((byte)'K', (byte)n) : Op((byte)'J').Op(BitConverter.GetBytes((int)n));

        public Pickle Ints(params long[] values)
        {
            Op((byte)'(');
            foreach (long v in values)
            {
                Int(v);
            }
            return Op((byte)'t');
        }

        public Pickle OrderedDict() => Global("collections", "OrderedDict").Op((byte)')', (byte)'R');

        /// <summary>_rebuild_tensor_v2(persistent storage, offset, size, stride, False, OrderedDict()).</summary>
        public Pickle Tensor(string storageType, string key, long count, long offset, long[] size, long[] stride)
        {
            Global("torch._utils", "_rebuild_tensor_v2").Op((byte)'(');
            Op((byte)'(').Str("storage").Global("torch", storageType).Str(key).Str("cpu").Int(count).Op((byte)'t', (byte)'Q');
            Int(offset).Ints(size).Ints(stride).Op(0x89).OrderedDict();
            return Op((byte)'t', (byte)'R');
        }

        /// <summary>An OrderedDict of the entries each <paramref name="items"/> writes (a key then a value).</summary>
        public static Pickle StateDict(params Action<Pickle>[] items)
        {
            var p = new Pickle().OrderedDict().Op((byte)'(');
            foreach (var item in items)
            {
                item(p);
            }
            return p.Op((byte)'u', (byte)'.');
        }
    }

    private static Action<Pickle> Entry(string name, string key = "0", long count = 4, long offset = 0, long[]? size = null,
        long[]? stride = null, string type = "FloatStorage") =>
        p => p.Str(name).Tensor(type, key, count, offset, size ?? [2, 2], stride ?? [2, 1]);

    private string Write(Pickle pickle, Dictionary<string, byte[]>? storages = null, string? byteOrder = null, string folder = "archive/")
    {
        string path = Path.Combine(_dir, "w.pth");
        File.Delete(path);
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            void Add(string name, byte[] bytes)
            {
                using var s = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
                s.Write(bytes);
            }
            Add(folder + "data.pkl", pickle.Bytes.ToArray());
            foreach (var (key, bytes) in storages ?? new() { ["0"] = Floats(4) })
            {
                Add($"{folder}data/{key}", bytes);
            }
            Add(folder + "version", "3\n"u8.ToArray());
            if (byteOrder is not null)
            {
                Add(folder + "byteorder", Encoding.ASCII.GetBytes(byteOrder));
            }
        }
        return path;
    }

    private static byte[] Floats(int count) => Enumerable.Range(0, count).SelectMany(i => BitConverter.GetBytes((float)i)).ToArray();

    private string Fails(Pickle pickle, Dictionary<string, byte[]>? storages = null, string? byteOrder = null)
    {
        string path = Write(pickle, storages, byteOrder);
        var e = Assert.Throws<WeightsLoadException>(() => StateDictFile.Read(path));
        string prefix = $"{path}: not a valid PyTorch state dict (.pth/.pt zip) file: ";
        Assert.StartsWith(prefix, e.Message, StringComparison.Ordinal);
        return e.Message[prefix.Length..];
    }

    [Fact]
    public void A_hand_written_file_loads_views_of_a_shared_storage_as_copies()
    {
        // 'a' is the storage as 2x3, 'b' its transpose, 'c' the last row, 'e' empty.
        string path = Write(Pickle.StateDict(
                Entry("a", count: 6, size: [2, 3], stride: [3, 1]),
                Entry("b", count: 6, size: [3, 2], stride: [1, 3]),
                Entry("c", count: 6, offset: 3, size: [3], stride: [1]),
                Entry("e", count: 6, offset: 6, size: [0], stride: [1])),
            new() { ["0"] = Floats(6) });

        var state = StateDictFile.Read(path);

        Assert.Equal([0f, 1, 2, 3, 4, 5], state["a"].data<float>().ToArray());
        Assert.Equal([0f, 3, 1, 4, 2, 5], state["b"].contiguous().data<float>().ToArray());
        Assert.Equal([3f, 4, 5], state["c"].data<float>().ToArray());
        Assert.Equal([0L], state["e"].shape);
        state["a"].add_(1);
        Assert.Equal(3f, state["c"][0].item<float>()); // own copies, not views of one another
    }

    [Fact]
    public void The_fixture_written_by_torch_save_loads_the_same_weights_as_its_safetensors_twin()
    {
        var pth = StateDictFile.Read(FixturePaths.Get("torch", "mobilenet_v2_w035_c10.pth"));
        var safetensors = StateDictFile.Read(FixturePaths.Get("torch", "mobilenet_v2_w035_c10.safetensors"));
        Assert.Equal(safetensors.Keys.Order(StringComparer.Ordinal), pth.Keys.Order(StringComparer.Ordinal));
        Assert.All(safetensors, kv => Assert.True(kv.Value.eq(pth[kv.Key]).all().item<bool>(), kv.Key));
    }

    [Fact]
    public void A_storage_whose_entry_has_another_size_is_refused()
    {
        Assert.Equal("storage '0' (used by 'w') holds 12 bytes, but data.pkl gives it 4 Float32 elements (16 bytes).",
            Fails(Pickle.StateDict(Entry("w")), new() { ["0"] = Floats(3) }));
    }

    [Theory]
    [InlineData(1, new long[] { 2, 2 }, new long[] { 2, 1 }, "size [2, 2], stride [2, 1], offset 1, reading up to element 4 of storage '0', which holds 4.")]
    [InlineData(0, new long[] { 2, 2 }, new long[] { 4, 1 }, "size [2, 2], stride [4, 1], offset 0, reading up to element 5 of storage '0', which holds 4.")]
    [InlineData(-1, new long[] { 2 }, new long[] { 1 }, "size [2], stride [1], offset -1: sizes, strides and offset must not be negative.")]
    [InlineData(0, new long[] { 2, 2 }, new long[] { -2, 1 }, "size [2, 2], stride [-2, 1], offset 0: sizes, strides and offset must not be negative.")]
    [InlineData(0, new long[] { 2, 2 }, new long[] { 1 }, "size [2, 2], stride [1], offset 0: as many strides as sizes are needed.")]
    [InlineData(0, new long[] { 2, 1 << 30 }, new long[] { 1 << 30, 1 << 30 }, "size [2, 1073741824], stride [1073741824, 1073741824], offset 0, reading up to element 1152921504606846976 of storage '0', which holds 4.")]
    public void A_tensor_reaching_outside_its_storage_is_refused(long offset, long[] size, long[] stride, string expected)
    {
        Assert.Equal("tensor 'w' has " + expected, Fails(Pickle.StateDict(Entry("w", offset: offset, size: size, stride: stride))));
    }

    [Fact]
    public void A_key_given_twice_is_refused()
    {
        Assert.StartsWith("the key 'w' is in a dict twice (at byte ", Fails(Pickle.StateDict(Entry("w"), Entry("w"))), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("os", "system")]
    [InlineData("torchvision.models.resnet", "ResNet")]
    [InlineData("torch", "load")]
    [InlineData("builtins", "eval")]
    public void An_unknown_global_is_refused_by_name(string module, string name)
    {
        var pickle = new Pickle().Global(module, name).Op((byte)'(').Str("echo hi").Op((byte)'t', (byte)'R', (byte)'.');
        string message = Fails(pickle);
        Assert.StartsWith($"data.pkl refers to the Python global '{module}.{name}' (at byte 2), which a state dict does not need; allowed: ", message, StringComparison.Ordinal);
        Assert.EndsWith("Save model.state_dict(), not the model.", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_storage_without_its_entry_or_described_twice_differently_is_refused()
    {
        Assert.Equal("storage '7' (used by 'w') has no archive entry archive/data/7.", Fails(Pickle.StateDict(Entry("w", key: "7"))));
        Assert.StartsWith("data.pkl describes storage '0' twice, as Float32 x 4 and as Int32 x 4 (at byte ",
            Fails(Pickle.StateDict(Entry("w"), Entry("v", type: "IntStorage"))), StringComparison.Ordinal);
        Assert.StartsWith("data.pkl names the storage '../0'; a storage key is letters, digits and '_' (at byte ",
            Fails(Pickle.StateDict(Entry("w", key: "../0"))), StringComparison.Ordinal);
        Assert.StartsWith("data.pkl refers to the Python global 'torch.UntypedStorage' (at byte ",
            Fails(Pickle.StateDict(Entry("w", type: "UntypedStorage"))), StringComparison.Ordinal);
    }

    [Fact]
    public void A_pickle_that_is_not_a_state_dict_is_refused()
    {
        Assert.Equal("entry 'epoch' is the integer 3, not a tensor; a state dict (name -> tensor) is expected, not a whole pickled model or checkpoint.",
            Fails(Pickle.StateDict(Entry("w"), p => p.Str("epoch").Int(3))));
        Assert.Equal("data.pkl holds a list; a state dict (name -> tensor) is expected.", Fails(new Pickle().Op((byte)']', (byte)'.')));
    }

    [Fact]
    public void A_damaged_pickle_is_refused()
    {
        var truncated = Pickle.StateDict(Entry("w"));
        truncated.Bytes.RemoveRange(truncated.Bytes.Count - 2, 2);
        Assert.Equal("data.pkl ends without a STOP opcode: it is truncated.", Fails(truncated));
        Assert.Equal("data.pkl uses the opcode 0x69, which a state dict does not need (at byte 2).", Fails(new Pickle().Op((byte)'i').Op("os\nsystem\n"u8.ToArray())));
        Assert.Equal("data.pkl reads the memo entry 9, which was never stored (at byte 2).", Fails(new Pickle().Op((byte)'h', 9, (byte)'.')));
        Assert.Equal("data.pkl has 1 bytes after its STOP opcode (at byte 3).", Fails(new Pickle().Op((byte)'}', (byte)'.', 0)));
    }

    [Fact]
    public void Archive_level_damage_is_refused()
    {
        Assert.Equal("its byteorder entry says 'big'; only little-endian files are read.", Fails(Pickle.StateDict(Entry("w")), byteOrder: "big"));

        string path = Write(Pickle.StateDict(Entry("w")));
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Update))
        {
            zip.CreateEntry("archive/data/0");
        }
        var twice = Assert.Throws<WeightsLoadException>(() => StateDictFile.Read(path));
        Assert.EndsWith("file: the archive holds 'archive/data/0' twice.", twice.Message, StringComparison.Ordinal);

        using (var zip = ZipFile.Open(path, ZipArchiveMode.Update))
        {
            zip.GetEntry("archive/data/0")!.Delete();
            zip.CreateEntry("elsewhere/data.pkl");
        }
        var outside = Assert.Throws<WeightsLoadException>(() => StateDictFile.Read(path));
        Assert.EndsWith("file: the archive entry 'elsewhere/data.pkl' is not in the folder 'archive/' that a torch.save archive keeps everything in.", outside.Message, StringComparison.Ordinal);
    }
}
