using System;
using TLDsl.Spec.Registries;

namespace TLDsl.Runtime.Surgery;

/// <summary>Freezes every parameter of the modules whose names <paramref name="Matches"/> accepts (a module's
/// descendants follow it), with a BatchNorm policy.</summary>
/// <param name="Description">How the rule was written, for inspection output.</param>
/// <param name="Matches">True for a module name the rule covers, e.g. <c>layer1</c> or <c>layer1.0.conv1</c>.</param>
/// <param name="BatchNorm">What happens to BatchNorm layers under the rule.</param>
public sealed record FreezeRule(string Description, Func<string, bool> Matches, BatchNormPolicy BatchNorm = BatchNormPolicy.Eval);
