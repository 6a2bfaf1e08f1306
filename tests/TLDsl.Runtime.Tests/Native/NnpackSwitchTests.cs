using System;
using TLDsl.Runtime.Native;

namespace TLDsl.Runtime.Tests.Native;

public sealed class NnpackSwitchTests
{
    [Fact]
    public void Nnpack_is_switched_off_exactly_where_it_cannot_start()
    {
        var loaded = TorchNative.EnsureLoaded();
        int? status = NnpackSwitch.InitialisationStatus();
        Assert.NotNull(status);
        // Where NNPACK cannot start, libtorch would log a warning at every convolution that considers it.
        Assert.Equal(status == 0, NnpackSwitch.IsEnabled());
        string expected = status == 0 ? "NNPACK available" : "NNPACK cannot start on this CPU";
        Assert.Contains(loaded.Attempts, a => a.StartsWith(expected, StringComparison.Ordinal));
    }
}
