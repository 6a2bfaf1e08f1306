using System;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using TLDsl.Runtime.IO;
using TLDsl.Runtime.Native;

namespace TLDsl.Runtime.Tests.Native;

public sealed class AtomicFileTests
{
    [Fact]
    public async Task Racing_writers_never_expose_a_torn_file_and_leave_no_temporaries()
    {
        string dir = Directory.CreateTempSubdirectory("tldsl-atomic").FullName;
        string path = Path.Combine(dir, "lib.so");
        byte[] content = Enumerable.Range(0, 4 << 20).Select(i => (byte)(i * 31)).ToArray();
        int torn = 0;
        using var stop = new CancellationTokenSource();

        var reader = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                if (File.Exists(path))
                {
                    try
                    {
                        byte[] seen = File.ReadAllBytes(path);
                        if (!seen.AsSpan().SequenceEqual(content))
                        {
                            Interlocked.Increment(ref torn);
                        }
                    }
                    catch (FileNotFoundException)
                    {
                        // The rename replaced the name between Exists and open: never a torn read.
                    }
                }
            }
        });
        Parallel.For(0, 16, new ParallelOptions { MaxDegreeOfParallelism = 4 }, _ => AtomicFile.Write(path, content));
        stop.Cancel();
        await reader;

        Assert.Equal(0, torn);
        Assert.True(AtomicFile.HasContent(path, content));
        Assert.Equal("lib.so", Path.GetFileName(Assert.Single(Directory.GetFiles(dir))));
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void A_shorter_or_different_file_does_not_count_as_the_content()
    {
        string dir = Directory.CreateTempSubdirectory("tldsl-atomic").FullName;
        string path = Path.Combine(dir, "f");
        File.WriteAllBytes(path, [1, 2, 3]);
        Assert.False(AtomicFile.HasContent(path, [1, 2, 3, 4]));
        Assert.False(AtomicFile.HasContent(path, [1, 2, 4]));
        Assert.True(AtomicFile.HasContent(path, [1, 2, 3]));
        Directory.Delete(dir, recursive: true);
    }
}
