using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using TLDsl.Runtime.Weights;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Tests.Weights;

/// <summary>Hostile TorchSharp .dat files, written byte by byte here (not by TorchSharp's Module.save): each rule of the
/// strict reader is broken once.</summary>
public sealed class TorchSharpDatReaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tldsl-dat").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>The format, written independently: LEB128 numbers, length-prefixed UTF-8 names, raw data.</summary>
    private sealed class DatBytes
    {
        public List<byte> Bytes { get; } = [];

        public DatBytes Leb(ulong value)
        {
            do
            {
                byte b = (byte)(value & 0x7f);
                value >>= 7;
                Bytes.Add(value == 0 ? b : (byte)(b | 0x80));
            }
            while (value != 0);
            return this;
        }

        public DatBytes Name(string name) => Leb((ulong)Encoding.UTF8.GetByteCount(name)).Raw(Encoding.UTF8.GetBytes(name));

        public DatBytes Raw(params byte[] bytes)
        {
            Bytes.AddRange(bytes);
            return this;
        }

        /// <summary>A float32 entry with the given shape and data 0, 1, 2... as bytes.</summary>
        public DatBytes Float(string name, params ulong[] shape)
        {
            Name(name).Leb((ulong)ScalarType.Float32).Leb((ulong)shape.Length);
            foreach (ulong d in shape)
            {
                Leb(d);
            }
            int count = (int)shape.Aggregate(1UL, (a, b) => a * b);
            return Raw(Enumerable.Range(0, count * 4).Select(i => (byte)i).ToArray());
        }
    }

    private string Write(DatBytes file)
    {
        string path = Path.Combine(_dir, "model.dat");
        File.WriteAllBytes(path, file.Bytes.ToArray());
        return path;
    }

    private string Fails(DatBytes file)
    {
        string path = Write(file);
        var e = Assert.Throws<WeightsLoadException>(() => StateDictFile.Read(path));
        Assert.StartsWith($"{path}: not a valid TorchSharp .dat file: ", e.Message, StringComparison.Ordinal);
        return e.Message[$"{path}: not a valid TorchSharp .dat file: ".Length..];
    }

    [Fact]
    public void A_valid_hand_written_file_loads()
    {
        string path = Write(new DatBytes().Leb(3).Float("conv1.weight", 2, 2)
            .Name("flags").Leb((ulong)ScalarType.Bool).Leb(1).Leb(2).Raw(1, 0)
            .Float("empty", 0, 3));

        var state = StateDictFile.Read(path);

        Assert.Equal(["conv1.weight", "empty", "flags"], state.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(BitConverter.ToSingle([4, 5, 6, 7]), state["conv1.weight"][0, 1].item<float>());
        Assert.Equal([true, false], state["flags"].data<bool>().ToArray());
        Assert.Equal([0L, 3], state["empty"].shape);
    }

    [Fact]
    public void A_file_saved_by_torchsharp_still_loads()
    {
        string path = Path.Combine(_dir, "saved.dat");
        using (var model = nn.Linear(3, 2))
        {
            model.save(path);
        }
        Assert.Equal(["bias", "weight"], StateDictFile.Read(path).Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_name_given_twice_is_refused()
    {
        Assert.Equal("'w' is in the file twice.", Fails(new DatBytes().Leb(2).Float("w", 1).Float("w", 1)));
    }

    [Fact]
    public void An_unknown_dtype_code_is_refused()
    {
        Assert.Equal("'w' has the unknown dtype code 8.", Fails(new DatBytes().Leb(1).Name("w").Leb(8).Leb(1).Leb(1).Raw(0, 0, 0, 0)));
    }

    [Fact]
    public void Truncated_data_is_refused()
    {
        var file = new DatBytes().Leb(1).Float("w", 4);
        file.Bytes.RemoveRange(file.Bytes.Count - 3, 3);
        Assert.Equal("'w' Float32 [4] needs 16 bytes, but only 13 are left: the file is truncated.", Fails(file));
    }

    [Fact]
    public void A_file_ending_inside_a_number_is_refused()
    {
        Assert.Equal("the file ends inside dimension 0 of 'w': it is truncated.",
            Fails(new DatBytes().Leb(1).Name("w").Leb((ulong)ScalarType.Float32).Leb(1).Raw(0x80)));
    }

    [Fact]
    public void Trailing_bytes_are_refused()
    {
        Assert.Equal("2 bytes follow the last entry.", Fails(new DatBytes().Leb(1).Float("w", 1).Raw(9, 9)));
    }

    [Fact]
    public void An_entry_count_the_file_cannot_hold_is_refused()
    {
        var file = new DatBytes().Leb(1_000_000).Float("w", 1);
        Assert.Equal($"it claims 1000000 entries, more than its {file.Bytes.Count} bytes can hold.", Fails(file));
    }

    [Fact]
    public void Bad_names_are_refused()
    {
        Assert.Equal("entry 1 of 1 has an empty name.", Fails(new DatBytes().Leb(1).Leb(0).Leb(6).Leb(0).Raw(0, 0, 0, 0)));
        Assert.Equal("the name of entry 1 of 1 is not valid UTF-8.", Fails(new DatBytes().Leb(1).Leb(2).Raw(0xc3, 0x28).Leb(6).Leb(0).Raw(0, 0, 0, 0)));
        Assert.Equal("the name of entry 1 of 1 (100 bytes) runs past the end of the file.", Fails(new DatBytes().Leb(1).Leb(100).Raw(65, 65, 65, 65)));
        Assert.Equal("the name of entry 1 of 1 would have 1000000 bytes; at most 65536 are allowed.", Fails(new DatBytes().Leb(1).Leb(1_000_000).Raw(65, 65, 65, 65)));
    }

    [Fact]
    public void Absurd_shapes_are_refused()
    {
        Assert.Equal("'w' has rank 65; at most 64 is allowed.", Fails(new DatBytes().Leb(1).Name("w").Leb(6).Leb(65).Raw(0, 0, 0, 0)));
        Assert.Equal("'w' has a shape whose size overflows.",
            Fails(new DatBytes().Leb(1).Name("w").Leb(6).Leb(2).Leb(1UL << 40).Leb(1UL << 40).Raw(0, 0, 0, 0)));
        Assert.Equal("dimension 0 of 'w' is not an LEB128 number below 2^63.",
            Fails(new DatBytes().Leb(1).Name("w").Leb(6).Leb(1).Raw(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01)));
    }
}
