using System.CommandLine;
using System.Text.Json;
using AgentCrm.Agents;
using AgentCrm.Sandbox;
using AgentCrm.Sandbox.Reports;

namespace AgentCrm.Cli;

/// <summary>`agentcrm agents evaluate ID@VERSION --cases NAME`: a sandbox replay with a progress bar and the report as a table (or JSON).</summary>
internal static class EvaluateCommand
{
    public static readonly Option<string> Cases = new("--cases") { Description = "A registered case set (agentcrm cases list).", Required = true };
    private static readonly Option<string?> CaseSet = new("--cases") { Description = "A registered case set (agentcrm cases list)." };
    private static readonly Option<FileInfo?> CasesFile = new("--cases-file") { Description = "A case file to evaluate on instead: a CSV (with --mapping) or NDJSON events (with --labels); stored as case set upload:<hash prefix>." };
    private static readonly Option<FileInfo?> Mapping = new("--mapping") { Description = "YAML mapping of the --cases-file CSV (see sandbox/mappings/)." };
    private static readonly Option<FileInfo?> Labels = new("--labels") { Description = "Labels CSV (customerId,cutoff,label) of the --cases-file NDJSON timeline." };
    private static readonly Option<FileInfo?> Html = new("--html") { Description = "Also write the HTML report to this file." };
    private static readonly Option<FileInfo?> CasesOut = new("--cases-out") { Description = "Also write every case's outcome to this CSV file (caseId,label,score,fired,segment,outcome), to audit the report case by case." };

    // Once per process (the options are static and the command tree is built per run): a --cases that cannot name a case set
    // is a usage error, before the data directory is opened; one of the right form that is not registered exits 1.
    static EvaluateCommand()
    {
        ValueRules.Add(Cases, ValueRules.CaseSetName);
        ValueRules.Add(CaseSet, ValueRules.CaseSetName);
    }

    public static Command Create(Argument<string> versionArg)
    {
        var command = new Command("evaluate", "Replay a case set through a version and write its sandbox report.") { versionArg, CaseSet, CasesFile, Mapping, Labels, Html, CasesOut };
        // Options that do not go together, or an output file that is the data directory's database or one of the inputs (writing it
        // would destroy it): a usage error before the data directory is opened.
        // Files that are not there, or an HTML file that cannot be written, fail before it is opened (a report stored and then an
        // HTML file that cannot be written failed without the report's id).
        command.SetAction((p, ct) => (UsageProblem(p) ?? AgentCrmCli.OutputTargetProblem(p, [(p.GetValue(Html), "--html"), (p.GetValue(CasesOut), "--cases-out")],
                (p.GetValue(CasesFile), "--cases-file"), (p.GetValue(Mapping), "--mapping"), (p.GetValue(Labels), "--labels"))) is { } usage
            ? Task.FromResult(AgentCrmCli.Usage(usage, ParseErrors.CommandPath(p)))
            : (ValueRules.MissingFile((p.GetValue(CasesFile), "--cases-file"), (p.GetValue(Mapping), "--mapping"), (p.GetValue(Labels), "--labels"))
               ?? (p.GetValue(Html) is { } target ? HtmlTargetProblem(target) : null)
               ?? AgentCrmCli.OutputFileProblem(p.GetValue(CasesOut), "--cases-out")) is { } fileProblem ? Task.FromResult(AgentCrmCli.Fail(fileProblem))
            : CliHost.RunAsync(p, ct, async (services, token) =>
        {
            var (agentId, version) = AgentsCommand.Split(p.GetValue(versionArg)!);
            // The version first: an uploaded case file is stored only for a version that exists.
            var registry = services.GetRequiredService<AgentRegistry>();
            var record = registry.Find(agentId, version);
            // Read before the check: an unregister (by the server beside this process) that commits after it refuses the report.
            var asked = registry.TransitionsSeq();
            await registry.EnsureNotUnregisteredAsync(agentId, token);
            var store = services.GetRequiredService<CaseSetStore>();
            var (caseSet, problem) = await CaseSetAsync(p, store, record.Manifest, token);
            if (caseSet is null)
                return AgentCrmCli.Fail(problem!);
            // As the API answers (and fits check): a stored set that no longer reads is named as that, not by its file's line alone.
            if (store.LoadToRun(caseSet, out var unusable) is null)
                return AgentCrmCli.Fail(unusable);
            var json = p.GetValue(AgentCrmCli.Json);
            // On a terminal, --json or not: the bar is on stderr, the JSON alone on stdout.
            var progress = Console.IsErrorRedirected ? null : new ProgressBar(Console.Error);
            SandboxReport report;
            string id;
            IReadOnlyList<Sandbox.Metrics.ScoredCase> scored = [];
            try
            {
                (report, id) = await services.GetRequiredService<Evaluator>().EvaluateAsync(agentId, version, caseSet, CliHost.Actor, progress, token, cases: c => scored = c, unlessUnregisteredAfter: asked);
            }
            finally
            {
                // Ended either way: a failure's line (a full disk) starts on a line of its own, not after the bar.
                progress?.Done();
            }
            AgentCrmCli.Kept($"the report was stored as {id}; its output was not all written");
            if (p.GetValue(Html) is { } html)
            {
                try
                {
                    await File.WriteAllTextAsync(html.FullName, HtmlReport.Render(report), token);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // A full disk, a read-only mount: the report is stored by now; say so, with its id, as fit's --out does.
                    return AgentCrmCli.Fail($"--html: cannot write {html.FullName} ({ex.Message.TrimEnd('.')}). The report was stored as {id}.");
                }
            }
            if (p.GetValue(CasesOut) is { } casesOut)
            {
                try
                {
                    await using var writer = new StreamWriter(casesOut.FullName, append: false, new System.Text.UTF8Encoding(false));
                    await CaseOutcomesCsv.WriteAsync(writer, scored, token);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    return AgentCrmCli.Fail($"--cases-out: cannot write {casesOut.FullName} ({ex.Message.TrimEnd('.')}). The report was stored as {id}.");
                }
            }
            Console.WriteLine(json ? WithId(report, id) : ReportText.Render(report) + $"\nreport {id}");
            // A pipeline gates on the exit code: a version that did not pass fails the step (1, as a broken audit chain does), its
            // report printed and stored as any other.
            return report.Passed ? 0 : AgentCrmCli.Fail($"{agentId}@{version} did not pass its gate on {report.CaseSet}: {string.Join("; ", report.Unmet)} (report {id}).");
        }));
        return command;
    }

    private static string? HtmlTargetProblem(FileInfo target) =>
        Directory.Exists(target.FullName) ? $"--html {target.FullName} is a directory; give the file to write"
        : target.Directory is { Exists: false } parent ? $"--html {target.FullName}: no such directory {parent.FullName}"
        : null;

    /// <summary>The report as the API writes it (<c>GET /v1/reports/{id}</c>): its id first, so a script can fetch it again or its HTML.</summary>
    private static string WithId(SandboxReport report, string id)
    {
        var body = SandboxReportJson.ToObject(report);
        body.Insert(0, "id", id);
        return body.ToJsonString(Output);
    }

    /// <summary>The report's JSON as the API writes it, text as it is (as every --json prints: <see cref="AgentCrmCli.JsonOutput"/>).</summary>
    private static readonly JsonSerializerOptions Output = new(SandboxReportJson.Options) { Encoder = AgentCrmCli.JsonOutput.Encoder };

    /// <summary>Options that go together or exclude each other: --cases NAME, or --cases-file with exactly one of --mapping and --labels.</summary>
    private static string? UsageProblem(ParseResult p)
    {
        var (name, file, mapping, labels) = (p.GetValue(CaseSet), p.GetValue(CasesFile), p.GetValue(Mapping), p.GetValue(Labels));
        if (file is null)
            return name is null
                ? "give --cases NAME (a registered case set) or --cases-file FILE with --mapping or --labels"
                : mapping is not null || labels is not null
                    ? "--mapping and --labels go with --cases-file, not --cases"
                    : null;
        if (name is not null)
            return "give either --cases or --cases-file, not both";
        return (mapping is null) == (labels is null) ? "--cases-file needs exactly one of --mapping (tabular CSV) or --labels (NDJSON timeline)" : null;
    }

    /// <summary>The case set to evaluate on: --cases NAME, or --cases-file stored as an upload (the same rules as the API's upload).</summary>
    private static async Task<(string? Name, string? Problem)> CaseSetAsync(ParseResult p, CaseSetStore store, AgentManifest agent, CancellationToken cancellationToken)
    {
        var (name, file, mapping, labels) = (p.GetValue(CaseSet), p.GetValue(CasesFile), p.GetValue(Mapping), p.GetValue(Labels));
        if (file is null)
            return (name, null);
        var aux = (mapping ?? labels)!;
        store.EnsureSize(file, aux);
        var info = await store.AddUploadAsync(mapping is not null ? Sandbox.Cases.CaseSetKinds.Tabular : Sandbox.Cases.CaseSetKinds.Timeline,
            await File.ReadAllBytesAsync(file.FullName, cancellationToken), file.Name, await File.ReadAllBytesAsync(aux.FullName, cancellationToken), aux.Name, agent, cancellationToken, CliHost.Actor);
        return (info.Name, null);
    }
}

/// <summary>A one-line text progress bar on stderr (stdout stays clean for --json and pipes), after an optional label.</summary>
internal sealed class ProgressBar(TextWriter output, string label = "") : IProgress<(int Done, int Total)>
{
    private readonly Lock _gate = new();
    private int _lastPercent = -1;

    /// <summary>
    /// Replay workers report from several threads; the bar only moves forward. Nothing counted yet (a total of 0, such as a
    /// fit's loading stage) shows the label alone, not a bar full at 0/0.
    /// </summary>
    public void Report((int Done, int Total) value)
    {
        var percent = value.Total == 0 ? -1 : value.Done * 100 / value.Total;
        lock (_gate)
        {
            if (percent < 0 && _lastPercent < 0)
            {
                output.Write($"\r{label.TrimEnd()}");
                return;
            }
            if (percent <= _lastPercent)
                return;
            _lastPercent = percent;
            var filled = percent * 30 / 100;
            output.Write($"\r{label}[{new string('#', filled)}{new string('.', 30 - filled)}] {percent,3}%  {value.Done}/{value.Total}");
        }
    }

    public void Done() => output.WriteLine();
}

/// <summary>A fit's progress on stderr: one bar per stage (fitting, cross-validating, evaluating), each on its own line.</summary>
internal sealed class StageProgressBars(TextWriter output) : IProgress<Sandbox.JobProgress>
{
    private string? _stage;
    private ProgressBar? _bar;

    public void Report(Sandbox.JobProgress value)
    {
        if (value.Stage == Sandbox.JobProgress.Queued)
            return;
        if (value.Stage != _stage)
        {
            _bar?.Done();
            _stage = value.Stage;
            _bar = new ProgressBar(output, $"{value.Stage,-17}");
        }
        _bar!.Report((value.Done, value.Total));
    }

    public void Done() => _bar?.Done();
}
