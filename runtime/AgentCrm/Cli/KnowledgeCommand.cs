using System.CommandLine;
using System.Text.Json;
using AgentCrm.Knowledge;
using AgentCrm.Knowledge.Ingest;
using AgentCrm.Knowledge.Retrieval;
using AgentCrm.Knowledge.Stores;

namespace AgentCrm.Cli;

/// <summary>`agentcrm knowledge ingest PATH…` · `search "QUERY" [--k N] [--tags T,…] [--documentId ID] [--scenario S]` · `eval QUERIES.csv`.</summary>
internal static class KnowledgeCommand
{
    private static readonly JsonSerializerOptions Output = AgentCrmCli.JsonOutput;

    public static Command Create()
    {
        var knowledge = new Command("knowledge", "The knowledge store briefs cite.");

        var paths = new Argument<string[]>("PATH") { Description = "Markdown, HTML or text files, or folders of them.", Arity = ArgumentArity.OneOrMore };
        var ingest = new Command("ingest", "Ingest documents, all or nothing (same id and content: unchanged; changed: replaced), each under the id its file name gives; a folder's other files are listed as skipped.") { paths };
        ingest.SetAction((p, ct) => CliHost.RunAsync(p, ct, async (services, token) =>
        {
            // Every path is listed, then every file checked, before anything is stored.
            var files = new List<string>();
            var skipped = new List<SkippedFile>();
            foreach (var path in p.GetValue(paths)!)
            {
                if (Directory.Exists(path))
                {
                    var folder = DocumentFolder.Of(path);
                    files.AddRange(folder.Files);
                    skipped.AddRange(folder.Skipped);
                }
                else if (File.Exists(path))
                {
                    if (FileType.NotRegular(path) is { } kind)
                        return AgentCrmCli.Fail($"{path}: {kind}, not a regular file. Nothing was ingested.");
                    if (!DocumentTypes.TryFromPath(path, out _))
                        return AgentCrmCli.Fail($"{path}: unknown document type; use .md, .html or .txt. Nothing was ingested.");
                    files.Add(path);
                }
                else
                    return AgentCrmCli.Fail($"no such file or folder: {path}. Nothing was ingested.");
            }
            var json = p.GetValue(AgentCrmCli.Json);
            var audit = services.GetRequiredService<KnowledgeAudit>();
            // First, what an ingest killed before its audit (kill -9, a crash) stored gets its records, as a server gives them;
            // not while another change is in flight (its records are its own): the server's watcher, or the next ingest, does it then.
            // A reconciliation that fails (the server logs the same and carries on) does not stop the ingest: a warning, and the
            // server or the next ingest does it.
            try
            {
                if (await services.GetRequiredService<KnowledgeAuditRecovery>().TryRunAsync(token) is ( > 0 and var recovered, _))
                    Console.Error.WriteLine($"agentcrm: appended {Counted.Of(recovered, "knowledge audit record")} an interrupted change had not written (actor {KnowledgeAudit.RecoveredActor})");
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Console.Error.WriteLine($"agentcrm: warning: the knowledge audit records an interrupted change had not written were not appended ({ex.Message}); the ingest goes on, and the server or the next ingest appends them.");
            }
            // Held from before the first document is stored until its records are appended: no reconciliation, here or in a
            // server, takes this ingest's documents for a killed one's.
            using var changing = await audit.ChangingAsync(token);
            var bar = Console.IsErrorRedirected ? null : new ProgressBar(Console.Error);
            // Once storing begins, a signal waits for it and its audit (a stop between documents stored some, audited none, and
            // said "nothing was ingested"); a second signal still ends the verb, and the server's watcher or the next ingest (or
            // start) audits what it stored.
            // Each document's audit record is appended as it is stored, as an upload's: one that cannot be appended (agentcrm.db
            // read-only, a full disk) undoes that document's change, and the line says so (or, the undo failing too, that it
            // is stored and recorded later), naming those stored and recorded before it.
            var results = await services.GetRequiredService<KnowledgeService>().IngestFilesAsync(files, bar, token, storing: AgentCrmCli.Finishing,
                record: async r =>
                {
                    try
                    {
                        await audit.IngestedAsync(CliHost.Actor, [r], CancellationToken.None);
                    }
                    catch (Microsoft.Data.Sqlite.SqliteException ex)
                    {
                        throw new Storage.DatabaseFileException(Storage.SqliteDatabase.DescribeFailure(ex).TrimEnd('.'));
                    }
                });
            bar?.Done();
            AgentCrmCli.Kept($"{Counted.Of(results.Count, "document")} {(results.Count == 1 ? "was" : "were")} ingested and audited");
            if (json)
                Console.WriteLine(JsonSerializer.Serialize(new { items = results, skipped }, Output));
            else
            {
                Console.Write(Columns.Render(results.Select(r => new[]
                {
                    r.DocumentId, JsonNamingPolicy.CamelCase.ConvertName(r.Status.ToString()), Counted.Cell(r.Chunks, "chunk"),
                    $"{r.DistilledUnits} distilled", r.Changed is { } changed ? $"({string.Join(", ", changed)} changed)" : "",
                }), 2, 3));
                foreach (var s in skipped)
                    Console.WriteLine($"skipped {s.Path}: {s.Reason}");
            }
            return 0;
        }, knowledge: true));

        var query = new Argument<string>("QUERY") { Description = "What to look for." };
        var k = new Option<string?>("--k") { Description = $"How many hits, 1-{SearchRules.MaxHits} (default {SearchRules.DefaultHits})." };
        var tags = new Option<string?>("--tags") { Description = "Only documents with any of these tags (comma-separated)." };
        var documentId = new Option<string?>("--documentId", "--document-id") { Description = "Only this document." };
        var scenario = new Option<string?>("--scenario") { Description = "Only documents ingested with this scenario (the bundled ones have none)." };
        var search = new Command("search", "Hybrid search (vectors fused with BM25), with citations.") { query, k, tags, documentId, scenario };
        search.SetAction((p, ct) =>
        {
            // The API's rules (q required, k in range, filters under the document rules), checked before the data directory is opened.
            var errors = new Dictionary<string, string[]>();
            var take = SearchRules.Read(p.GetValue(query), p.GetValue(k), errors, "QUERY", "--k");
            var filter = SearchRules.ReadFilter(p.GetValue(tags), p.GetValue(documentId), p.GetValue(scenario), errors, "--tags", "--documentId", "--scenario");
            return errors.Count > 0
                ? Task.FromResult(AgentCrmCli.Usage(string.Join(" ", errors.Values.SelectMany(v => v)), ParseErrors.CommandPath(p)))
                : SearchAsync(p, p.GetValue(query)!, take, filter, ct);
        });

        var csv = new Argument<FileInfo>("QUERIES.csv") { Description = "Rows of query,document,expected_section." };
        var eval = new Command("eval", "Retrieval quality: recall@5 and MRR.") { csv };
        // A file that is not there (or a folder) fails before the data directory is opened, as cases add's do.
        eval.SetAction((p, ct) => ValueRules.MissingFile((p.GetValue(csv), csv.Name)) is { } missing ? Task.FromResult(AgentCrmCli.Fail(missing)) : CliHost.RunAsync(p, ct, async (services, token) =>
        {
            var file = p.GetValue(csv)!;
            var report = await RetrievalEvaluation.RunAsync(services.GetRequiredService<KnowledgeService>(), file.FullName, token);
            // Warnings (an expected document the store does not hold) go to stderr, so --json stdout stays one document.
            foreach (var warning in report.Warnings)
                Console.Error.WriteLine($"agentcrm: warning: {warning}");
            if (p.GetValue(AgentCrmCli.Json))
                Console.WriteLine(JsonSerializer.Serialize(new { queries = report.Queries, recallAt5 = report.RecallAt5, mrr = report.Mrr, results = report.Results, warnings = report.Warnings }, Output));
            else
            {
                foreach (var r in report.Results)
                    Console.WriteLine($"{(r.Rank is { } rank ? rank.ToString(System.Globalization.CultureInfo.InvariantCulture) : "-"),3}  {r.Query}  → {r.TopSection}");
                Console.WriteLine($"recall@5 {report.RecallAt5:0.000}  MRR {report.Mrr:0.000}  ({Counted.Of(report.Queries, "query", "queries")})");
            }
            return 0;
        }, knowledge: true));

        knowledge.Subcommands.Add(ingest);
        knowledge.Subcommands.Add(search);
        knowledge.Subcommands.Add(eval);
        return knowledge;
    }

    private static Task<int> SearchAsync(ParseResult p, string query, int take, SearchFilter filter, CancellationToken ct) => CliHost.RunAsync(p, ct, async (services, token) =>
    {
        var knowledge = services.GetRequiredService<KnowledgeService>();
        var hits = await knowledge.SearchAsync(query, take, filter, cancellationToken: token);
        if (p.GetValue(AgentCrmCli.Json))
            Console.WriteLine(JsonSerializer.Serialize(new { items = hits }, Output));
        else if (hits.Count == 0)
            // Said on stderr, as `csms accounts show` says it has nothing, so stdout stays empty for a pipe: silence looked like a
            // verb that did nothing, and a mistyped --documentId like a document without a match (qa45d F2).
            Console.Error.WriteLine(NoHits(query, filter, knowledge.ListDocuments()));
        else
            foreach (var (h, i) in hits.Select((h, i) => (h, i)))
                Console.WriteLine($"{i + 1}. {h.Score:0.000}  {h.Title} › {h.Section}  [{h.ChunkId}]\n   {h.Snippet}");
        return 0;
    }, knowledge: true);

    /// <summary>"No hits for …", naming each filter no stored document meets, with the closest id, tag or scenario stored.</summary>
    private static string NoHits(string query, SearchFilter filter, IReadOnlyList<Knowledge.Documents.KnowledgeDocument> documents)
    {
        var unmet = new List<string>();
        if (filter.DocumentId is { } id && !documents.Any(d => d.Id == id))
            unmet.Add($"--documentId {id}: no such document{Meant([id], documents.Select(d => d.Id))}");
        if (filter.Tags is { Count: > 0 } tags && !documents.Any(d => d.Tags.Any(t => tags.Contains(t, StringComparer.OrdinalIgnoreCase))))
            unmet.Add($"--tags {string.Join(',', tags)}: no document has {(tags.Count == 1 ? "this tag" : "any of these tags")}{Meant(tags, documents.SelectMany(d => d.Tags).Distinct())}");
        if (filter.Scenario is { } scenario && !documents.Any(d => d.Scenario == scenario))
            unmet.Add($"--scenario {scenario}: no document was ingested with this scenario{Meant([scenario], documents.Select(d => d.Scenario).OfType<string>().Distinct())}");
        return $"No hits for \"{query}\"{(unmet.Count > 0 ? $" ({string.Join("; ", unmet)})" : "")}.";
    }

    /// <summary>"; did you mean X?" for the stored name closest to one of those given, as the other verbs' hints; else "".</summary>
    private static string Meant(IEnumerable<string> given, IEnumerable<string> known)
    {
        var names = known.ToList();
        return given.Select(g => Agents.Text.EditDistance.Closest(g, names)).FirstOrDefault(c => c is not null) is { } closest ? $"; did you mean {closest}?" : "";
    }
}
