using System.CommandLine;
using TLDsl.Cli.Commands;

namespace TLDsl.Cli;

/// <summary>The <c>tldsl</c> command line.</summary>
public static class Program
{
    /// <summary>Parses the arguments and runs the chosen verb; returns the process exit code.</summary>
    public static int Main(string[] args)
    {
        var root = new RootCommand("TLDsl: declarative transfer learning for .NET on TorchSharp.");
        root.Subcommands.Add(InfoCommand.Create());
        // Our handler, not System.CommandLine's, decides what a failure prints: user mistakes never show a stack trace.
        var invocation = new InvocationConfiguration { EnableDefaultExceptionHandler = false };
        return CliErrors.Run(() => root.Parse(args).Invoke(invocation));
    }
}
