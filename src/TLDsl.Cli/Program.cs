using System;
using System.CommandLine;
using System.CommandLine.Help;
using System.Linq;
using TLDsl.Cli.Commands;

namespace TLDsl.Cli;

/// <summary>The <c>tldsl</c> command line.</summary>
public static class Program
{
    /// <summary>Parses the arguments and runs the chosen verb; returns the process exit code: 0 success, 1 an invalid
    /// pipeline or another user mistake, 2 a usage error, 3 the native library failed to load, 130 interrupted.</summary>
    public static int Main(string[] args)
    {
        var verbose = new Option<bool>("--verbose") { Description = "Show the full detail (stack trace) of errors.", Recursive = true };
        var root = new RootCommand("TLDsl: declarative transfer learning for .NET on TorchSharp.");
        root.Options.Add(verbose);
        root.Subcommands.Add(ValidateCommand.Create());
        root.Subcommands.Add(InspectCommand.Create());
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(EvaluateCommand.Create());
        root.Subcommands.Add(PredictCommand.Create());
        root.Subcommands.Add(LrFindCommand.Create());
        root.Subcommands.Add(ExportCommand.Create());
        root.Subcommands.Add(SchemaCommand.Create());
        root.Subcommands.Add(NewCommand.Create());
        root.Subcommands.Add(CatalogueCommand.Create());
        root.Subcommands.Add(InfoCommand.Create());

        var parse = root.Parse(args);
        if (parse.Errors.Count > 0 && parse.Action is not HelpAction)
        {
            foreach (var error in parse.Errors)
            {
                Console.Error.WriteLine($"error: {error.Message}");
            }
            string verb = parse.CommandResult.Command == root ? "" : " " + parse.CommandResult.Command.Name;
            Console.Error.WriteLine($"Run 'tldsl{verb} --help' for usage.");
            return ExitCodes.Usage;
        }
        // Our handler, not System.CommandLine's, decides what a failure prints: user mistakes never show a stack trace.
        var invocation = new InvocationConfiguration { EnableDefaultExceptionHandler = false };
        return CliErrors.Run(() => parse.Invoke(invocation), args.Contains("--verbose", StringComparer.Ordinal));
    }
}
