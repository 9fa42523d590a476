using CornerNet.Runtime;

namespace CornerNet.Tests.Runtime;

public class NnpackSwitchTests
{
    [Fact]
    public void NnpackIsOffOnceTheLibraryIsLoaded()
    {
        // The module initializer ran when the tests first touched a CornerNet type; this is one.
        Assert.False(NnpackSwitch.Enabled);
    }
}
