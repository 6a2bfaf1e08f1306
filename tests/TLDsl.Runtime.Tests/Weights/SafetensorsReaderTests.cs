using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using TLDsl.Runtime.Tests.Fixtures;
using TLDsl.Runtime.Weights;
using static TorchSharp.torch;

namespace TLDsl.Runtime.Tests.Weights;

/// <summary>Hostile safetensors files, written byte by byte here (not by the product's writer): each rule of the strict
/// reader is broken once and must give one <see cref="WeightsLoadException"/> naming the file and what is wrong.</summary>
public sealed class SafetensorsReaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tldsl-safetensors").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>8-byte little-endian header length, the header's UTF-8 bytes, then the data bytes 0, 1, 2...</summary>
    private string Write(string header, int dataBytes, ulong? headerLength = null)
    {
        byte[] json = Encoding.UTF8.GetBytes(header);
        var bytes = new List<byte>(BitConverter.GetBytes(headerLength ?? (ulong)json.Length));
        bytes.AddRange(json);
        bytes.AddRange(Enumerable.Range(0, dataBytes).Select(i => (byte)i));
        string path = Path.Combine(_dir, "w.safetensors");
        File.WriteAllBytes(path, bytes.ToArray());
        return path;
    }

    private string Fails(string header, int dataBytes, ulong? headerLength = null)
    {
        string path = Write(header, dataBytes, headerLength);
        var e = Assert.Throws<WeightsLoadException>(() => StateDictFile.Read(path));
        Assert.StartsWith($"{path}: not a valid safetensors file: ", e.Message, StringComparison.Ordinal);
        Assert.Null(e.InnerException); // the reader's own check, not a wrapped library failure
        return e.Message;
    }

    private const string Conv = "\"conv1.weight\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}";

    [Fact]
    public void A_valid_hand_written_file_loads_with_its_metadata_and_an_empty_tensor()
    {
        string path = Write("{\"__metadata__\":{\"format\":\"pt\"}," + Conv
            + ",\"bn1.weight\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[16,19]},"
            + "\"empty\":{\"dtype\":\"I64\",\"shape\":[0,4],\"data_offsets\":[19,19]}}   ", 19);

        var state = StateDictFile.Read(path);

        Assert.Equal(["bn1.weight", "conv1.weight", "empty"], state.Keys.Order(StringComparer.Ordinal));
        Assert.Equal([2L, 2], state["conv1.weight"].shape);
        Assert.Equal(BitConverter.ToSingle([0, 1, 2, 3]), state["conv1.weight"][0, 0].item<float>());
        Assert.Equal(new byte[] { 16, 17, 18 }, state["bn1.weight"].data<byte>().ToArray());
        Assert.Equal(ScalarType.Int64, state["empty"].dtype);
        Assert.Equal([0L, 4], state["empty"].shape);
    }

    [Fact]
    public void The_fixture_written_by_python_safetensors_still_loads()
    {
        var state = StateDictFile.Read(FixturePaths.Get("torch", "mobilenet_v2_w035_c10.safetensors"));
        Assert.Contains("classifier.1.weight", state.Keys);
        Assert.Equal([10L, 1280], state["classifier.1.weight"].shape);
    }

    [Fact]
    public void Overlapping_ranges_are_refused_naming_both_tensors()
    {
        // The reported case: bn1.weight reads conv1.weight's bytes.
        string message = Fails("{" + Conv + ",\"bn1.weight\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 16);
        Assert.Contains("overlapping tensor", message, StringComparison.Ordinal);
        Assert.Contains("'bn1.weight'", message, StringComparison.Ordinal);
        Assert.Contains("'conv1.weight'", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[-8,0]", "each must be a non-negative integer")]
    [InlineData("[0.5,16]", "each must be a non-negative integer")]
    [InlineData("[0,99999999999999999999]", "each must be a non-negative integer")]
    [InlineData("[0]", "has 1 data_offsets; it needs two")]
    [InlineData("[0,16,16]", "has 3 data_offsets; it needs two")]
    [InlineData("\"0-16\"", "a data_offsets that is a JSON string")]
    [InlineData("[16,0]", "begin is after end")]
    [InlineData("[0,12]", "(12 bytes), but its dtype and shape [2, 2] need 16 bytes")]
    [InlineData("[8,24]", "past the end of the 16-byte data section")]
    public void Bad_data_offsets_are_refused(string offsets, string expected)
    {
        string message = Fails("{\"conv1.weight\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":" + offsets + "}}", 16);
        Assert.Contains("tensor 'conv1.weight'", message, StringComparison.Ordinal);
        Assert.Contains(expected, message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_gap_between_ranges_is_refused()
    {
        string message = Fails("{" + Conv + ",\"b\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[20,22]}}", 22);
        Assert.EndsWith("bytes [16, 20) of the data section belong to no tensor (before tensor 'b').", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bytes_after_the_last_tensor_are_refused()
    {
        string message = Fails("{" + Conv + "}", 20);
        Assert.EndsWith("the data section has 20 bytes, but the tensors cover only the first 16.", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{" + Conv + "," + Conv + "}", "the header has the key 'conv1.weight' twice")]
    [InlineData("{\"conv1.weight\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}", "tensor 'conv1.weight' has the key 'dtype' twice")]
    [InlineData("{\"__metadata__\":{\"a\":\"1\",\"a\":\"2\"}," + Conv + "}", "'__metadata__' has the key 'a' twice")]
    public void Duplicate_keys_are_refused(string header, string expected)
    {
        Assert.Contains(expected, Fails(header, 16), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"F8_E4M3\"", "has dtype \"F8_E4M3\"; allowed: BOOL, U8, I8, I16, I32, I64, F16, BF16, F32, F64")]
    [InlineData("\"f32\"", "has dtype \"f32\"; allowed:")]
    [InlineData("4", "has dtype 4; allowed:")]
    public void An_unknown_dtype_is_refused(string dtype, string expected)
    {
        string message = Fails("{\"conv1.weight\":{\"dtype\":" + dtype + ",\"shape\":[2,2],\"data_offsets\":[0,16]}}", 16);
        Assert.Contains("tensor 'conv1.weight' " + expected, message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[-2,-2]", "has shape [-2,-2]; each must be a non-negative integer")]
    [InlineData("[2.0,2]", "has shape [2.0,2]; each must be a non-negative integer")]
    [InlineData("[4294967296,4294967296]", "has shape [4294967296, 4294967296], whose size overflows")]
    [InlineData("{}", "has a shape that is a JSON object, not a list of integers")]
    public void A_bad_shape_is_refused(string shape, string expected)
    {
        string message = Fails("{\"conv1.weight\":{\"dtype\":\"F32\",\"shape\":" + shape + ",\"data_offsets\":[0,16]}}", 16);
        Assert.Contains("tensor 'conv1.weight' " + expected, message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"conv1.weight\":{\"dtype\":\"F32\",\"shape\":[2,2]}}", "tensor 'conv1.weight' lacks data_offsets")]
    [InlineData("{\"conv1.weight\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16],\"offset\":0}}", "tensor 'conv1.weight' has the unknown field 'offset'")]
    [InlineData("{\"conv1.weight\":[0,16]}", "tensor 'conv1.weight' is a JSON array")]
    [InlineData("{\"__metadata__\":{\"epoch\":3}," + Conv + "}", "'__metadata__' entry 'epoch' is a JSON number; metadata values must be strings")]
    [InlineData("{\"__metadata__\":[\"a\"]," + Conv + "}", "'__metadata__' is a JSON array; it must map strings to strings")]
    [InlineData("[" + Conv + "]", "the header does not start with '{'")]
    [InlineData("{" + Conv + ",}", "the header is not valid JSON")]
    [InlineData("{" + Conv + "} x", "the header is not valid JSON")]
    public void A_malformed_header_is_refused(string header, string expected)
    {
        Assert.Contains(expected, Fails(header, 16), StringComparison.Ordinal);
    }

    [Fact]
    public void A_header_that_is_not_utf8_is_refused()
    {
        string path = Path.Combine(_dir, "w.safetensors");
        byte[] json = [.. "{\""u8, 0xff, 0xfe, .. "\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]}}"u8];
        File.WriteAllBytes(path, [.. BitConverter.GetBytes((ulong)json.Length), .. json]);
        var e = Assert.Throws<WeightsLoadException>(() => StateDictFile.Read(path));
        Assert.Equal($"{path}: not a valid safetensors file: the header is not valid UTF-8.", e.Message);
    }

    [Fact]
    public void A_header_length_past_the_file_or_over_the_limit_is_refused()
    {
        string header = "{" + Conv + "}";
        Assert.Contains($"the header length 1000 runs past the end of the file ({8 + header.Length + 16} bytes)",
            Fails(header, 16, headerLength: 1000), StringComparison.Ordinal);
        Assert.Contains("the header length 18446744073709551615 is over the format's limit of 100000000 bytes",
            Fails(header, 16, headerLength: ulong.MaxValue), StringComparison.Ordinal);

        string path = Path.Combine(_dir, "short.safetensors");
        File.WriteAllBytes(path, [1, 2, 3]);
        var e = Assert.Throws<WeightsLoadException>(() => StateDictFile.Read(path));
        Assert.Equal($"{path}: not a valid safetensors file: the file has 3 bytes, fewer than the 8-byte header length.", e.Message);
    }
}
