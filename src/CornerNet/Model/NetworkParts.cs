using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CornerNet.Model;

/// <summary>
/// The parts of a stacked-hourglass CornerNet whatever the family calls them (<see cref="NetworkFamily.OfficialNames"/>):
/// the stem, per stack an hourglass, its output convolution, the two corner pooling modules and the six heads, and the
/// joins between stacks. A plain record, so that the modules are registered once, under their official names.
/// </summary>
internal sealed record NetworkParts(
    Sequential Stem,
    ModuleList<HourglassModule> Hourglasses,
    ModuleList<ConvolutionModule> StackOutputs,
    ModuleList<CornerPoolModule> TlPools,
    ModuleList<CornerPoolModule> BrPools,
    ModuleList<Sequential> TlHeats,
    ModuleList<Sequential> BrHeats,
    ModuleList<Sequential> TlTags,
    ModuleList<Sequential> BrTags,
    ModuleList<Sequential> TlOffsets,
    ModuleList<Sequential> BrOffsets,
    ModuleList<ResidualModule> JoinResiduals,
    ModuleList<Sequential> JoinInters,
    ModuleList<Sequential> JoinCnvs);

/// <summary>A module that only holds and names others, so that their keys read <c>name.child…</c> (e.g. the Lite
/// <c>hg</c> module).</summary>
internal sealed class ModuleGroup : nn.Module
{
    /// <summary>Registers <paramref name="children"/> under their names, in order.</summary>
    public ModuleGroup(string name, IEnumerable<(string Name, nn.Module Module)> children) : base(name)
    {
        foreach (var (childName, module) in children) register_module(childName, module);
    }
}
