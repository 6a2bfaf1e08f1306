using System;
using System.Linq;
using TLDsl.Spec.Catalogue;
using TLDsl.Spec.Diagnostics;
using TLDsl.Spec.Model;
using TLDsl.Spec.Registries;
using TLDsl.Spec.Schema;
using TLDsl.Spec.Yaml;

namespace TLDsl.Spec.Validation;

/// <summary>
/// The frozen state of every phase, computed exactly as the validator replays it, so the runtime and the generated
/// trainer freeze what the build checked: freeze rules first, then per phase its <c>unfreeze</c> then <c>freeze</c>
/// lists, which persist into later phases.
/// </summary>
public static class FreezePlanner
{
    /// <summary>Plans a validated spec against its base model's structure.</summary>
    /// <param name="spec">A spec returned by the parser (no errors).</param>
    /// <param name="model">Its base model (catalogue entry or ONNX layer listing).</param>
    public static EquatableArray<PhaseFreezeState> Plan(PipelineSpec spec, BaseModelInfo model)
    {
        var dropped = spec.Base.Drop.ToArray();
        var context = new ValidationContext(new DiagnosticBag(), new NodeLocator(null, NodeLocation.Unknown), new SchemaChecker(new DiagnosticBag()))
        {
            Model = model,
            KeptModules = model.Modules.Select(m => m.Name).Where(n => !dropped.Contains(n.Split('.')[0], StringComparer.Ordinal)).ToArray(),
        };
        return EquatableArray.From(new TrainabilityChecker(context).Check(spec.Freeze, spec.Train.Phases));
    }
}

/// <summary>What is frozen during one phase.</summary>
/// <param name="Phase">The phase name.</param>
/// <param name="Frozen">Frozen parameter-owning modules of the base model (dotted names), with the BatchNorm policy that froze them.</param>
/// <param name="HeadFrozen">True when the added head layers are frozen too.</param>
public sealed record PhaseFreezeState(string Phase, EquatableArray<FrozenModule> Frozen, bool HeadFrozen);

/// <summary>A frozen module.</summary>
/// <param name="Name">Dotted module name.</param>
/// <param name="BatchNorm">For BatchNorm modules: eval (default), train_affine or train; meaningless for other kinds.</param>
public sealed record FrozenModule(string Name, BatchNormPolicy BatchNorm);
