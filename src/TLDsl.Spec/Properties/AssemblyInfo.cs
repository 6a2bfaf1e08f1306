using System.Runtime.CompilerServices;

// The tests drive the internal YAML tree, schema table and upgrade steps directly.
[assembly: InternalsVisibleTo("TLDsl.Spec.Tests")]

// The generator's tests check its attribute classes against the attribute table.
[assembly: InternalsVisibleTo("TLDsl.Generator.Tests")]
