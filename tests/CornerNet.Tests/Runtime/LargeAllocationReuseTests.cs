using CornerNet.Runtime;

namespace CornerNet.Tests.Runtime;

public class LargeAllocationReuseTests
{
    [Fact]
    public void AppliesOnLoadOnLinux()
    {
        // The test process touches CornerNet types first, so the module initializer has run; glibc accepts the values.
        _ = typeof(LargeAllocationReuse).Assembly;
        Assert.Equal(OperatingSystem.IsLinux(), LargeAllocationReuse.IsApplied);
    }
}
