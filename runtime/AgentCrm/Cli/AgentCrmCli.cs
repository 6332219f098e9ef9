using System.CommandLine;
using AgentCrm.Agents;

namespace AgentCrm.Cli;

/// <summary>
/// The `agentcrm` command line (CLI contract in API.md): `serve` is the default verb; every other verb
/// works on the data directory directly. Exit codes: 0 success, 1 failure, 2 usage error.
/// </summary>
public static class AgentCrmCli
{
    public static readonly Option<string> Data = new("--data") { Description = "Data directory (default ./data).", DefaultValueFactory = _ => "./data", Recursive = true };
    public static readonly Option<bool> Json = new("--json") { Description = "Machine-readable output on stdout.", Recursive = true };

    public static async Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("AgentCrm: scenario agents that turn CRM signals into briefs for customer-success managers.");
        root.Options.Add(Data);
        root.Options.Add(Json);
        var serve = ServeCommand.Create();
        foreach (var option in serve.Options)
            root.Options.Add(option);
        root.SetAction((parse, ct) => ServeCommand.RunAsync(parse, ct));
        root.Subcommands.Add(serve);
        root.Subcommands.Add(AgentsCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());

        var result = root.Parse(args);
        if (result.Errors.Count > 0)
        {
            Console.Error.WriteLine($"agentcrm: {result.Errors[0].Message} (see agentcrm --help)");
            return 2;
        }
        try
        {
            return await result.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (ManifestException ex)
        {
            return Fail(ex.Message);
        }
        catch (Exception ex) when (ex is AgentNotFoundException or AgentConflictException or IOException or UnauthorizedAccessException or InvalidOperationException or Microsoft.Extensions.Options.OptionsValidationException)
        {
            return Fail(ex.Message);
        }
    }

    public static int Fail(string message)
    {
        Console.Error.WriteLine($"agentcrm: {message.ReplaceLineEndings(" ")}");
        return 1;
    }

    public static IDictionary<string, string?> StorageOverrides(ParseResult parse) =>
        new Dictionary<string, string?> { ["Storage:DataDirectory"] = parse.GetValue(Data) };
}
