using TLDsl.Spec.Text;

namespace TLDsl.Spec.Tests.Parsing;

public sealed class PipelineHashTests
{
    [Fact]
    public void Is_the_lower_case_sha256_of_the_utf8_text()
    {
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", PipelineHash.Of("abc"));
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", PipelineHash.Of(""));
        // Non-ASCII text is hashed as UTF-8 (é is c3 a9), not UTF-16.
        Assert.Equal("850f7dc43910ff890f8879c0ed26fe697c93a067ad93a7d50f466a7028a9bf4e", PipelineHash.Of("caf\u00e9"));
    }

    [Fact]
    public void Line_ends_and_a_byte_order_mark_are_part_of_the_text()
    {
        // Readers decode the file first (dropping a byte-order mark); the hash is of what they read, as it is.
        Assert.NotEqual(PipelineHash.Of("version: 1\n"), PipelineHash.Of("\uFEFFversion: 1\n"));
        Assert.NotEqual(PipelineHash.Of("version: 1\nname: A\n"), PipelineHash.Of("version: 1\r\nname: A\r\n"));
    }
}
