using System.Runtime.CompilerServices;

// The tests drive the internal YAML tree, schema table and upgrade steps directly.
[assembly: InternalsVisibleTo("TLDsl.Spec.Tests")]
