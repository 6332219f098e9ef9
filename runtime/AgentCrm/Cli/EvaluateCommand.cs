using System.CommandLine;
using AgentCrm.Sandbox;
using AgentCrm.Sandbox.Reports;

namespace AgentCrm.Cli;

/// <summary>`agentcrm agents evaluate ID@VERSION --cases NAME`: a sandbox replay with a progress bar and the report as a table (or JSON).</summary>
internal static class EvaluateCommand
{
    public static readonly Option<string> Cases = new("--cases") { Description = "A registered case set (agentcrm cases list).", Required = true };
    private static readonly Option<FileInfo?> Html = new("--html") { Description = "Also write the HTML report to this file." };

    public static Command Create(Argument<string> versionArg)
    {
        var command = new Command("evaluate", "Replay a case set through a version and write its sandbox report.") { versionArg, Cases, Html };
        command.SetAction((p, ct) => CliHost.RunAsync(p, ct, async (services, token) =>
        {
            var value = p.GetValue(versionArg)!;
            var at = value.IndexOf('@', StringComparison.Ordinal);
            if (at <= 0)
                return AgentCrmCli.Fail($"'{value}' is not of the form ID@VERSION (e.g. renewal-risk@1.0.0)");
            var json = p.GetValue(AgentCrmCli.Json);
            var progress = json || Console.IsErrorRedirected ? null : new ProgressBar(Console.Error);
            var (report, id) = await services.GetRequiredService<Evaluator>().EvaluateAsync(value[..at], value[(at + 1)..], p.GetValue(Cases)!, "cli", progress, token);
            progress?.Done();
            if (p.GetValue(Html) is { } html)
                await File.WriteAllTextAsync(html.FullName, HtmlReport.Render(report), token);
            Console.WriteLine(json ? SandboxReportJson.Serialize(report) : ReportText.Render(report) + $"\nreport {id}");
            return 0;
        }));
        return command;
    }
}

/// <summary>A one-line text progress bar on stderr (stdout stays clean for --json and pipes).</summary>
internal sealed class ProgressBar(TextWriter output) : IProgress<(int Done, int Total)>
{
    private readonly Lock _gate = new();
    private int _lastPercent = -1;

    /// <summary>Replay workers report from several threads; the bar only moves forward.</summary>
    public void Report((int Done, int Total) value)
    {
        var percent = value.Total == 0 ? 100 : value.Done * 100 / value.Total;
        lock (_gate)
        {
            if (percent <= _lastPercent)
                return;
            _lastPercent = percent;
            var filled = percent * 30 / 100;
            output.Write($"\r[{new string('#', filled)}{new string('.', 30 - filled)}] {percent,3}%  {value.Done}/{value.Total}");
        }
    }

    public void Done() => output.WriteLine();
}
