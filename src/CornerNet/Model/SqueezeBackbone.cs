using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CornerNet.Model;

/// <summary>
/// The CornerNet-Lite <c>hg</c> module of CornerNet-Squeeze, which holds the backbone under one name so that the keys
/// read <c>hg.pre</c>, <c>hg.hgs</c>, <c>hg.cnvs</c>, <c>hg.inters</c>, <c>hg.inters_</c>, <c>hg.cnvs_</c>.
/// <see cref="CornerNetModel"/> runs the parts; this class only owns and names them.
/// </summary>
internal sealed class SqueezeBackbone : nn.Module
{
    internal readonly Sequential pre;
    internal readonly ModuleList<SqueezeHourglassModule> hgs;
    internal readonly ModuleList<ConvolutionModule> cnvs;
    internal readonly ModuleList<ResidualModule> inters;
    internal readonly ModuleList<Sequential> inters_;
    internal readonly ModuleList<Sequential> cnvs_;

    internal SqueezeBackbone(Sequential pre, ModuleList<SqueezeHourglassModule> hgs, ModuleList<ConvolutionModule> cnvs,
        ModuleList<ResidualModule> inters, ModuleList<Sequential> inters_, ModuleList<Sequential> cnvs_) : base("hg")
    {
        this.pre = pre;
        this.hgs = hgs;
        this.cnvs = cnvs;
        this.inters = inters;
        this.inters_ = inters_;
        this.cnvs_ = cnvs_;
        RegisterComponents();
    }
}
