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
        root.Subcommands.Add(CasesCommand.Create());
        root.Subcommands.Add(KnowledgeCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(KeysCommand.Create());

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
        catch (Exception ex) when (ex is ManifestException or AgentNotFoundException or AgentConflictException or IOException or UnauthorizedAccessException
            or Sandbox.GateRefusedException or Sandbox.CaseSetNotFoundException or Sandbox.CaseSetConflictException or Sandbox.CaseSetScenarioException or AgentCrm.Sandbox.Cases.CaseSetException
            or Knowledge.Ingest.KnowledgeInputException or Access.ApiKeyException)
        {
            return Fail(ex.Message);
        }
        catch (AggregateException ex) when (ex.InnerExceptions.All(e => e is Microsoft.Extensions.Options.OptionsValidationException))
        {
            return Fail("invalid configuration: " + string.Join(" ", ex.InnerExceptions.SelectMany(e => ((Microsoft.Extensions.Options.OptionsValidationException)e).Failures)));
        }
        catch (Microsoft.Extensions.Options.OptionsValidationException ex)
        {
            return Fail("invalid configuration: " + string.Join(" ", ex.Failures));
        }
        catch (Exception ex)
        {
            // Never a stack trace to the user: the message, and the exception type for a bug report.
            return Fail($"{ex.Message} ({ex.GetType().Name})");
        }
    }

    /// <summary>A usage error the parser cannot see (options that go together or exclude each other): one line, exit 2.</summary>
    public static int Usage(string message)
    {
        Console.Error.WriteLine($"agentcrm: {message.ReplaceLineEndings(" ")} (see agentcrm --help)");
        return 2;
    }

    public static int Fail(string message)
    {
        Console.Error.WriteLine($"agentcrm: {message.ReplaceLineEndings(" ")}");
        return 1;
    }

    /// <summary>--data overrides Storage:DataDirectory only when given, so the setting and its environment variable still work.</summary>
    public static IDictionary<string, string?> StorageOverrides(ParseResult parse) =>
        parse.GetResult(Data) is { Implicit: false }
            ? new Dictionary<string, string?> { ["Storage:DataDirectory"] = parse.GetValue(Data) }
            : new Dictionary<string, string?>();
}
