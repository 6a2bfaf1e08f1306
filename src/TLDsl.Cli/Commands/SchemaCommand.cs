using System;
using System.CommandLine;
using TLDsl.Spec.Schema;

namespace TLDsl.Cli.Commands;

/// <summary><c>tldsl schema</c>: the pipeline language's JSON schema (for editors: yaml-language-server).</summary>
internal static class SchemaCommand
{
    public static Command Create()
    {
        var command = new Command("schema", "Print the JSON schema of pipeline files (*.tl.yaml), for editor completion and checks.");
        command.SetAction(_ =>
        {
            Console.Out.WriteLine(PipelineSchema.ToJson());
            return ExitCodes.Success;
        });
        return command;
    }
}
