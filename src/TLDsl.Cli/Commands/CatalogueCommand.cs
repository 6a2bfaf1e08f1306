using System;
using System.CommandLine;
using System.IO;
using System.Linq;
using TLDsl.Runtime.Models;
using TLDsl.Runtime.Native;

namespace TLDsl.Cli.Commands;

/// <summary><c>tldsl catalogue</c> (for contributors): the base-model catalogue files, generated from the real TorchSharp modules.
/// Listed, not hidden: System.CommandLine prints no help at all for a hidden command.</summary>
internal static class CatalogueCommand
{
    public static Command Create()
    {
        var write = new Option<string?>("--write") { Description = "Write <name>.yaml per architecture into this folder instead of printing." };
        var command = new Command("catalogue", "For contributors: print (or write) the catalogue YAML of every model-zoo architecture, generated from the TorchSharp modules.");
        command.Options.Add(write);
        command.SetAction(parse => Run(parse.GetValue(write)));
        return command;
    }

    private static int Run(string? folder)
    {
        TorchNative.EnsureLoaded();
        if (folder is not null)
        {
            Directory.CreateDirectory(folder);
        }
        foreach (var architecture in ModelZoo.All.OrderBy(a => a.Name, StringComparer.Ordinal))
        {
            string yaml = CatalogueExporter.Export(architecture);
            if (folder is null)
            {
                Console.Out.Write($"--- # {architecture.Name}.yaml\n{yaml}");
            }
            else
            {
                string path = Path.Combine(folder, architecture.Name + ".yaml");
                File.WriteAllText(path, yaml);
                Console.Out.WriteLine(path);
            }
        }
        return ExitCodes.Success;
    }
}
