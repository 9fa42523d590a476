using System.Diagnostics;
using CornerNet.Model;
using static TorchSharp.torch;

namespace CornerNet.Tests.Model;

public class MemoryTests
{
    [Fact]
    public void TwoHundredTinyForwardsKeepResidentMemoryFlat()
    {
        manual_seed(0);
        using var model = new CornerNetModel(ModelPresets.Tiny);
        model.eval();
        using var input = randn(1, 3, 63, 63);
        void Step()
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            model.forward(input);
        }
        for (int i = 0; i < 20; i++) Step();
        GC.Collect();
        long before = Process.GetCurrentProcess().WorkingSet64;
        for (int i = 0; i < 200; i++) Step();
        GC.Collect();
        long after = Process.GetCurrentProcess().WorkingSet64;
        double growth = (after - before) / (double)before;
        Assert.True(growth < 0.05, $"resident set grew {growth:P1} ({before >> 20} MB → {after >> 20} MB) over 200 forwards");
    }
}
