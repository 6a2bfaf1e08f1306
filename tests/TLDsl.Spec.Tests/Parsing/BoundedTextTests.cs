using System;
using System.Diagnostics;
using System.IO;
using System.Threading.Tasks;
using TLDsl.Spec.Parsing;
using TLDsl.Spec.Tests.Support;

namespace TLDsl.Spec.Tests.Parsing;

/// <summary>
/// Pipeline files are read only up to the size limit plus one character (issue #20: a 500 MB file took 2.1 GB to
/// reject, and /dev/zero grew until killed). What is read is bounded, and the parser names the file and the limit.
/// </summary>
public sealed class BoundedTextTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("tldsl-bounded").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void A_50_MB_file_is_read_only_up_to_the_limit_and_reported_with_its_name()
    {
        var path = Path.Combine(_folder, "huge.tl.yaml");
        using (var stream = File.Create(path))
        {
            var line = new byte[1024 * 1024];
            Array.Fill(line, (byte)'#');
            for (var i = 0; i < 50; i++)
            {
                stream.Write(line);
            }
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        var text = BoundedText.ReadPipeline(path);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(BoundedText.MaxPipelineCharacters + 1, text.Length);
        // The limit's characters (2 bytes each), twice over for the builder and the string, plus buffers: not 50 MB × 2.
        Assert.True(allocated < 12L * 1024 * 1024, "allocated " + allocated + " bytes");
        var result = PipelineParser.Parse(text, path);
        var diagnostic = Parse.Single(result, "TLD0002");
        Assert.Equal(path + "(1,1): error TLD0002: The pipeline file has more than 1000000 characters, the limit; pipeline files are a few kilobytes", diagnostic.Format());
    }

    [Fact]
    public void A_file_within_the_limit_is_read_whole_with_its_byte_order_mark_dropped()
    {
        var path = Path.Combine(_folder, "small.tl.yaml");
        File.WriteAllText(path, "version: 1\nname: Ünïcode\n", new System.Text.UTF8Encoding(true));
        Assert.Equal("version: 1\nname: Ünïcode\n", BoundedText.ReadPipeline(path));
    }

    [Fact]
    public void A_file_of_exactly_the_limit_is_not_too_large()
    {
        var path = Path.Combine(_folder, "limit.tl.yaml");
        File.WriteAllText(path, new string('#', BoundedText.MaxPipelineCharacters));
        var text = BoundedText.ReadPipeline(path);
        Assert.Equal(BoundedText.MaxPipelineCharacters, text.Length);
        Assert.DoesNotContain(PipelineParser.Parse(text, path).Diagnostics, d => d.Id == "TLD0002");
    }

    [Fact]
    public async Task An_endless_pipe_is_read_only_up_to_the_limit()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // named pipes are not files there; the bounded loop is the same for every stream
        }

        var fifo = Path.Combine(_folder, "endless.tl.yaml");
        using (var mkfifo = Process.Start(new ProcessStartInfo("mkfifo", fifo) { UseShellExecute = false })!)
        {
            await mkfifo.WaitForExitAsync();
            Assert.Equal(0, mkfifo.ExitCode);
        }

        // The writer never stops on its own: it ends when the reader closes the pipe (EPIPE).
        var writer = Task.Run(() =>
        {
            var chunk = new byte[64 * 1024];
            Array.Fill(chunk, (byte)'#');
            try
            {
                using var stream = new FileStream(fifo, FileMode.Open, FileAccess.Write);
                while (true)
                {
                    stream.Write(chunk);
                }
            }
            catch (IOException)
            {
            }
        });

        var text = BoundedText.ReadPipeline(fifo);
        await writer;
        Assert.Equal(BoundedText.MaxPipelineCharacters + 1, text.Length);
        Assert.Equal("TLD0002", Parse.Single(PipelineParser.Parse(text, fifo), "TLD0002").Id);
    }
}
