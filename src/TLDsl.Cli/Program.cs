using System;
using System.CommandLine;
using System.CommandLine.Help;
using System.Globalization;
using System.Linq;
using TLDsl.Cli.Commands;
using TLDsl.Runtime.Data;

namespace TLDsl.Cli;

/// <summary>The <c>tldsl</c> command line.</summary>
public static class Program
{
    /// <summary>Parses the arguments and runs the chosen verb; returns the process exit code: 0 success, 1 an invalid
    /// pipeline or another user mistake, 2 a usage error, 3 the native library failed to load, 130 interrupted.</summary>
    public static int Main(string[] args)
    {
        var verbose = new Option<bool>("--verbose") { Description = "Show the full detail (stack trace) of errors.", Recursive = true };
        var maxMegapixels = MaxMegapixelsOption();
        var root = new RootCommand("TLDsl: declarative transfer learning for .NET on TorchSharp.");
        root.Options.Add(verbose);
        root.Options.Add(maxMegapixels);
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
        return CliErrors.Run(
            () =>
            {
                // Only touched when given: the image decoder lives in the runtime, which loads libtorch.
                if (parse.GetValue(maxMegapixels) is { } megapixels)
                {
                    ImageDecoder.MaxPixels = (long)Math.Round(megapixels * 1e6);
                }
                return parse.Invoke(invocation);
            },
            args.Contains("--verbose", StringComparer.Ordinal));
    }

    /// <summary>The decoded-image size limit, for every verb that reads images (train, evaluate, predict, lr-find).</summary>
    private static Option<double?> MaxMegapixelsOption()
    {
        var option = new Option<double?>("--max-megapixels")
        {
            Description = string.Create(CultureInfo.InvariantCulture,
                $"Refuse images with more pixels than this, from their header, before decoding (default {ImageDecoder.DefaultMaxPixels / 1e6:0}; a decoded megapixel takes about 15 MB)."),
            Recursive = true,
        };
        option.Validators.Add(result =>
        {
            // At least one pixel, and no more than a long holds.
            if (result.GetValueOrDefault<double?>() is { } value && !(value * 1e6 >= 1 && value <= 9e12))
            {
                result.AddError(string.Create(CultureInfo.InvariantCulture, $"--max-megapixels must be a positive number of megapixels (e.g. 100), got {value}."));
            }
        });
        return option;
    }
}
