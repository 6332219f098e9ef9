using System.Text;
using AgentCrm.Knowledge.Ingest;

namespace AgentCrm.Knowledge.Retrieval;

/// <summary>One query's outcome: the 1-based rank of the first relevant hit, or null when none of the top 10 is.</summary>
public sealed record QueryEvaluation(string Query, string Document, string ExpectedSection, int? Rank, string? TopSection);

/// <summary>The scores, each query's outcome, and warnings (e.g. an expected document the store does not hold).</summary>
public sealed record EvaluationReport(int Queries, double RecallAt5, double Mrr, IReadOnlyList<QueryEvaluation> Results, IReadOnlyList<string> Warnings);

/// <summary>
/// Recall@5 and MRR over <c>query,document,expected_section</c> rows. A hit is relevant when its document id is exactly
/// the expected one and the last heading of its section path begins with expected_section followed by a space, a dash
/// or the end. A file that is not such a table (a missing column, an unterminated quote, no rows) is refused with the
/// line and column at fault, so a broken file never reports "0 queries" as if it were a result.
/// </summary>
public static partial class RetrievalEvaluation
{
    public const int Depth = 10;

    private static readonly string[] Columns = ["query", "document", "expected_section"];

    public static async Task<EvaluationReport> RunAsync(KnowledgeService service, string csvPath, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(service);
        var rows = ReadRows(await File.ReadAllTextAsync(csvPath, cancellationToken), Path.GetFileName(csvPath));
        var known = service.ListDocuments().Select(d => d.Id).ToHashSet(StringComparer.Ordinal);
        // Every row a miss by construction is no result: another table (a case set's labels CSV) read as queries.
        if (known.Count == 0)
            throw new KnowledgeInputException($"{Path.GetFileName(csvPath)}: the knowledge store holds no documents, so every query would be a miss: ingest the documents it names first (agentcrm knowledge ingest PATH).");
        if (!rows.Any(r => known.Contains(r.Document)))
            throw new KnowledgeInputException(NotAQueryTable(rows, Path.GetFileName(csvPath)));

        var warnings = rows.Where(r => !known.Contains(r.Document)).GroupBy(r => r.Document, StringComparer.Ordinal)
            .Select(g => $"{Path.GetFileName(csvPath)}: document '{g.Key}' (line {g.First().Line}, {g.Count()} {(g.Count() == 1 ? "query" : "queries")}) is not in the knowledge store; those queries count as misses.")
            .ToList();
        var results = new List<QueryEvaluation>();
        foreach (var row in rows)
        {
            var hits = await service.SearchAsync(row.Query, Depth, cancellationToken: cancellationToken);
            var index = hits.ToList().FindIndex(h => IsRelevant(h, row.Document, row.ExpectedSection));
            results.Add(new QueryEvaluation(row.Query, row.Document, row.ExpectedSection, index < 0 ? null : index + 1, hits.FirstOrDefault()?.Section));
        }

        return new EvaluationReport(
            results.Count,
            results.Count(r => r.Rank <= 5) / (double)results.Count,
            results.Sum(r => r.Rank is { } rank ? 1.0 / rank : 0) / results.Count,
            results,
            warnings);
    }

    public static bool IsRelevant(KnowledgeHit hit, string document, string expectedSection)
    {
        ArgumentNullException.ThrowIfNull(hit);
        // Exact: "onboarding" must not be credited with hits from "onboarding-playbook".
        if (!string.Equals(hit.DocumentId, document, StringComparison.Ordinal))
        {
            return false;
        }

        var separator = hit.Section.LastIndexOf(Ingest.Section.PathSeparator, StringComparison.Ordinal);
        var last = separator < 0 ? hit.Section : hit.Section[(separator + Ingest.Section.PathSeparator.Length)..];
        if (!last.StartsWith(expectedSection, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        return last.Length == expectedSection.Length || last[expectedSection.Length] is ' ' or '-' or '—' or '–';
    }

    /// <summary>
    /// The rows of the table; the header (<c>query,document,expected_section</c>, columns in any order, others ignored) is
    /// optional, and without it the first three columns are taken in that order. Throws <see cref="KnowledgeInputException"/>
    /// naming the file, line and column of the first problem.
    /// </summary>
    internal static List<(int Line, string Query, string Document, string ExpectedSection)> ReadRows(string csv, string fileName = "queries")
    {
        var records = ParseCsv(csv, fileName);
        int[] positions = [0, 1, 2];
        var rows = new List<(int, string, string, string)>();
        for (var r = 0; r < records.Count; r++)
        {
            var (line, fields) = records[r];
            // A header names the columns in any order: one that names any of them is taken as the header.
            if (r == 0 && fields.Any(f => Columns.Contains(f, StringComparer.OrdinalIgnoreCase)))
            {
                positions = [.. Columns.Select(c => fields.FindIndex(f => f.Equals(c, StringComparison.OrdinalIgnoreCase)))];
                if (Array.IndexOf(positions, -1) is var missing and >= 0)
                {
                    throw new KnowledgeInputException($"{fileName}: line {line}: the header has no '{Columns[missing]}' column; it must name query,document,expected_section.");
                }

                continue;
            }

            var values = new string[Columns.Length];
            for (var c = 0; c < Columns.Length; c++)
            {
                if (positions[c] >= fields.Count)
                {
                    throw new KnowledgeInputException($"{fileName}: line {line}: column {positions[c] + 1} ({Columns[c]}) is missing; each row is query,document,expected_section.");
                }

                values[c] = fields[positions[c]];
                if (values[c].Length == 0)
                {
                    throw new KnowledgeInputException($"{fileName}: line {line}: column {positions[c] + 1} ({Columns[c]}) is empty.");
                }
            }

            rows.Add((line, values[0], values[1], values[2]));
        }

        return rows.Count > 0 ? rows : throw new KnowledgeInputException($"{fileName}: no queries to evaluate; each row is query,document,expected_section.");
    }

    /// <summary>
    /// Why rows none of which names a document of the store are refused: a first line of bare names (<c>customerId,cutoff,label</c>)
    /// is another table's header.
    /// </summary>
    private static string NotAQueryTable(List<(int Line, string Query, string Document, string ExpectedSection)> rows, string fileName)
    {
        var first = rows[0];
        string[] names = [first.Query, first.Document, first.ExpectedSection];
        // Line 1 only: a first row after the file's own header (query,document,expected_section) is a row, not another table's header.
        return first.Line == 1 && names.All(n => HeaderName().IsMatch(n))
            ? $"{fileName}: line {first.Line} reads as a header naming {string.Join(", ", names)}, not query,document,expected_section: this is not a query table."
            : $"{fileName}: no row names a document of the knowledge store ({rows.Count} {(rows.Count == 1 ? "row" : "rows")}); is this a query table (query,document,expected_section)?";
    }

    [System.Text.RegularExpressions.GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial System.Text.RegularExpressions.Regex HeaderName();

    /// <summary>RFC 4180 records (quoted fields may hold commas, doubled quotes and line breaks), blank lines skipped, each with the line it starts on.</summary>
    private static List<(int Line, List<string> Fields)> ParseCsv(string csv, string fileName)
    {
        var records = new List<(int, List<string>)>();
        var fields = new List<string>();
        var field = new StringBuilder();
        var line = 1;
        var recordLine = 1;
        var column = 1;
        var quoted = false;
        var quoteLine = 0;
        var quoteColumn = 0;
        var blank = true;

        void EndRecord()
        {
            fields.Add(field.ToString().Trim());
            field.Clear();
            if (!blank)
            {
                records.Add((recordLine, fields));
            }

            fields = [];
            blank = true;
        }

        for (var i = 0; i < csv.Length; i++, column++)
        {
            var c = csv[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < csv.Length && csv[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                    column++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                    if (c == '\n')
                    {
                        line++;
                        column = 0;
                    }
                }
            }
            else if (c == '"')
            {
                quoted = true;
                blank = false;
                (quoteLine, quoteColumn) = (line, column);
            }
            else if (c == ',')
            {
                blank = false;
                fields.Add(field.ToString().Trim());
                field.Clear();
            }
            else if (c == '\n')
            {
                EndRecord();
                line++;
                column = 0;
                recordLine = line;
            }
            else if (c != '\r')
            {
                blank &= char.IsWhiteSpace(c);
                field.Append(c);
            }
        }

        if (quoted)
        {
            throw new KnowledgeInputException($"{fileName}: line {quoteLine}, column {quoteColumn}: the quote opened here is never closed.");
        }

        EndRecord();
        return records;
    }
}
