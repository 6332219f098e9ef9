using System.CommandLine;
using System.Text.Json;
using AgentCrm.Agents;
using AgentCrm.Sandbox;
using AgentCrm.Sandbox.Fitting;
using AgentCrm.Sandbox.Fitting.Text;

namespace AgentCrm.Cli;

/// <summary>
/// `agentcrm agents fit renewal-risk --cases NAME`: learns the weights from labeled cases, registers the
/// result as a new version, and evaluates it on the part of the case set the fit held out, so its gate
/// report is on cases it never saw. Prints the new ID@VERSION.
/// </summary>
internal static class FitCommand
{
    private static readonly Option<string?> Version = new("--version") { Description = "The new version (default: the next minor version)." };
    private static readonly Option<FileInfo?> Out = new("--out") { Description = "Also write the fitted manifest (JSON) to this file." };
    private static readonly Option<FileInfo?> Spans = new("--spans") { Description = "compliance-check on document-level clause cases (cuad): CUAD master_clauses.csv whose annotated spans supervise the clause model per sentence (without it: document labels)." };
    private static readonly Option<string?> Categories = new("--categories") { Description = "compliance-check clause model: only these clause categories (comma-separated label names, e.g. cap-on-liability,non-compete)." };
    private static readonly Option<bool> CrossValidate = new("--cv") { Description = "compliance-check clause model: also report document-level 5-fold cross-validation over all contracts, beside a document-level baseline." };
    private static readonly Option<int> Seed = new("--seed") { Description = "Seed of the stratified 70/30 split.", DefaultValueFactory = _ => FitOptions.DefaultSeed };

    /// <summary>The options of the contract clause model, which only compliance-check fits.</summary>
    private static readonly Option[] ClauseOptions = [Spans, Categories, CrossValidate];

    // Once per process (the options are static and the command tree is built per run): a bad --version (by the rule every
    // manifest's version follows) or a --categories naming none is a usage error naming it, before the data directory is opened.
    static FitCommand()
    {
        ValueRules.Add(Version, ValueRules.Version);
        ValueRules.Add(Categories, v => v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Length > 0 ? null
            : "it takes clause category names, comma-separated (e.g. cap-on-liability,non-compete)");
    }

    public static Command Create()
    {
        var kind = new Argument<string>("KIND") { Description = $"A trainable kind: {string.Join(", ", AgentFitter.TrainableKinds)}." };
        // A kind that cannot be fitted is a usage error naming the kinds that can (as a --role not in the list is).
        kind.AcceptOnlyFromAmong([.. AgentFitter.TrainableKinds]);
        var command = new Command("fit", "Fit a trainable agent on a case set and register the result as a new version.") { kind, EvaluateCommand.Cases, Version, Seed, Out, Spans, Categories, CrossValidate };
        command.SetAction((p, ct) => (UsageProblem(p, p.GetValue(kind)!) ?? AgentCrmCli.OutputTargetProblem(p, [(p.GetValue(Out), "--out")], (p.GetValue(Spans), "--spans"))) is { } usage
            ? Task.FromResult(AgentCrmCli.Usage(usage, ParseErrors.CommandPath(p)))
            : (AgentCrmCli.OutputFileProblem(p.GetValue(Out), "--out") ?? ValueRules.MissingFile((p.GetValue(Spans), "--spans"))) is { } fileProblem ? Task.FromResult(AgentCrmCli.Fail(fileProblem))
            : CliHost.RunAsync(p, ct, async (services, token) =>
        {
            FitOutcome outcome;
            PreparedFit? fit = null;
            try
            {
                var fitter = services.GetRequiredService<AgentFitter>();
                fit = fitter.Prepare(new FitRequest(p.GetValue(kind)!, p.GetValue(EvaluateCommand.Cases)!)
                {
                    Version = p.GetValue(Version),
                    Seed = p.GetValue(Seed),
                    Spans = p.GetValue(Spans) is { } spansFile ? ClauseSpans.Load(spansFile.FullName) : null,
                    Categories = p.GetValue(Categories)?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) ?? [],
                    CrossValidate = p.GetValue(CrossValidate),
                });
                // On a terminal, --json or not: the bars are on stderr, the JSON alone on stdout.
                var bars = Console.IsErrorRedirected ? null : new StageProgressBars(Console.Error);
                try
                {
                    // The evaluating stage begins once the version is registered: from then on the fit runs to its report.
                    var progress = new SyncProgress<JobProgress>(value =>
                    {
                        if (value.Stage == JobProgress.Evaluating)
                            AgentCrmCli.Finishing();
                        bars?.Report(value);
                    });
                    outcome = await fitter.FitAsync(fit, CliHost.Actor, progress: progress, cancellationToken: token);
                }
                finally
                {
                    bars?.Done();
                }
            }
            catch (FitRequestException ex)
            {
                return AgentCrmCli.Fail(ex.Message);
            }
            catch (Microsoft.Data.Sqlite.SqliteException ex) when (Storage.SqliteWriter.IsStorageFailure(ex) && fit is not null
                && services.GetRequiredService<AgentRegistry>().TryFind(fit.Base.Id, fit.Options.Version!) is not null)
            {
                // The disk filled between the registration and the report: the version stays (versions are immutable), without its report.
                var directory = Path.GetDirectoryName(services.GetRequiredService<Storage.SqliteDatabase>().FilePath);
                var what = JobFailures.IsDiskFull(ex) ? $"the disk holding {directory} is full" : $"the storage of {directory} failed";
                return AgentCrmCli.Fail($"{what} ({ex.Message.TrimEnd('.')}): {fit.Agent} was registered, but its report was not stored. " +
                    $"Free space, then evaluate it on the part the fit held out (agentcrm agents evaluate {fit.Agent} --cases {fit.Set.Name}:holdout-{fit.Options.Seed}): a promotion needs its report.");
            }
            var (agent, result, registered, report, reportId, cv) = (outcome.Agent, outcome.Result, outcome.Registered, outcome.Report, outcome.ReportId, outcome.CrossValidation);
            AgentCrmCli.Kept($"{agent} was registered and evaluated (report {reportId}); its output was not all written");
            // Stdout names the version registered; a script reading it needs no more, a person is told why it is not the one expected.
            if (outcome.Taken is { } taken)
                Console.Error.WriteLine($"agentcrm: {taken}, the version chosen when this fit began, was taken meanwhile by another fit or a registration; the fit is registered as {agent}.");
            if (p.GetValue(Out) is { } outFile)
            {
                try
                {
                    await File.WriteAllTextAsync(outFile.FullName, JsonSerializer.Serialize(result.Manifest, ManifestReader.Json), CancellationToken.None);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // The version is registered and evaluated by now: say so, so a script does not take the failure for a fit that did not happen.
                    return AgentCrmCli.Fail($"--out: cannot write {outFile.FullName} ({ex.Message.TrimEnd('.')}). {agent} was registered (report {reportId}).");
                }
            }
            if (p.GetValue(AgentCrmCli.Json))
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    agent,
                    contentHash = registered.Record.ContentHash,
                    created = registered.Created,
                    caseSet = p.GetValue(EvaluateCommand.Cases),
                    protocol = result.Protocol,
                    features = result.Features,
                    l2 = result.L2,
                    test = result.Test,
                    baseline = result.Baseline,
                    validation = result.Validation,
                    perLabel = result.PerLabel,
                    candidates = result.Candidates,
                    crossValidation = cv,
                    report = new { id = reportId, report.CaseSet, report.Cases, report.Precision, report.Recall, report.F1, report.RocAuc, report.Passed, report.Unmet, report.Warnings },
                }, AgentCrmCli.JsonOutput));
            else
            {
                Console.WriteLine(agent);
                Console.WriteLine($"  held-out {Counted.Of(result.Test.Cases, "case")}: ROC-AUC {result.Test.RocAuc:0.000}  F1 {result.Test.F1:0.000}  precision {result.Test.Precision:0.000}  recall {result.Test.Recall:0.000}  (threshold {result.Test.Threshold:0.000})");
                Console.WriteLine($"  baseline, same split: ROC-AUC {result.Baseline.RocAuc:0.000}  F1 {result.Baseline.F1:0.000}");
                foreach (var l in result.PerLabel)
                    Console.WriteLine($"  {l.Label,-26} held-out positives {l.Positives,4}  precision {l.Precision:0.000}  recall {l.Recall:0.000}  F1 {l.F1:0.000}");
                foreach (var c in cv?.Categories ?? [])
                    Console.WriteLine($"  CV {c.Category,-34} positives {c.Positives,3}  spans F1 {c.Spans?.F1 ?? double.NaN:0.000}  document labels F1 {c.DocumentLabels.F1:0.000}  baseline F1 {c.Baseline.F1:0.000}");
                if (cv is not null)
                    Console.WriteLine($"  CV mean F1: spans {cv.MeanF1Spans ?? double.NaN:0.000}  document labels {cv.MeanF1DocumentLabels:0.000}  baseline {cv.MeanF1Baseline:0.000}");
                if (cv?.Policy is { } policy && cv.PolicyBaseline is { } policyBaseline)
                    Console.WriteLine($"  CV policy decision vs the primary label ({policy.Positives} positive): precision {policy.Precision:0.000}  recall {policy.Recall:0.000}  F1 {policy.F1:0.000}  baseline F1 {policyBaseline.F1:0.000}");
                Console.WriteLine($"  gate on {report.CaseSet}: {(report.Passed ? "passed" : "FAILED: " + string.Join("; ", report.Unmet))}  (report {reportId})");
                // Before "next": a probable label leak or fields live events never fill make the figures above overstate the version.
                foreach (var warning in report.Warnings)
                    Console.WriteLine($"  warning: {warning}");
                // Never suggest promoting a version whose gate failed: agents promote refuses it; shadow runs it without delivering.
                Console.WriteLine(report.Passed
                    ? $"  next: agentcrm agents promote {agent}"
                    : $"  next: not promotable (its gate failed); run it live without delivering its briefs: agentcrm agents shadow {agent}");
            }
            return 0;
        }));
        return command;
    }

    /// <summary>
    /// The clause model's options given for a kind that has none: a usage error naming them. (On compliance-check, whether the
    /// case set is one of contracts is known only once it is read: that stays the fit's refusal, exit 1.)
    /// </summary>
    private static string? UsageProblem(ParseResult p, string kind)
    {
        var given = ValueRules.Given(p, ClauseOptions);
        return given.Count == 0 || kind == Agents.Compliance.ComplianceCheckKind.KindName ? null
            : $"{string.Join(", ", given)} {(given.Count == 1 ? "applies" : "apply")} only to {Agents.Compliance.ComplianceCheckKind.KindName} " +
              $"(its clause model, on a contract case set such as cuad), not to {kind}";
    }
}
