using System.Text;

namespace AgentCrm.Knowledge.Retrieval;

/// <summary>One query's outcome: the 1-based rank of the first relevant hit, or null when none of the top 10 is.</summary>
public sealed record QueryEvaluation(string Query, string Document, string ExpectedSection, int? Rank, string? TopSection);

public sealed record EvaluationReport(int Queries, double RecallAt5, double Mrr, IReadOnlyList<QueryEvaluation> Results);

/// <summary>
/// Recall@5 and MRR over <c>query,document,expected_section</c> rows. A hit is relevant when its document is the
/// expected one (equal, or a file-derived id that starts with it and a '-') and the last heading of its section
/// path begins with expected_section followed by a space, a dash or the end.
/// </summary>
public static class RetrievalEvaluation
{
    public const int Depth = 10;

    public static async Task<EvaluationReport> RunAsync(KnowledgeService service, string csvPath, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(service);
        var results = new List<QueryEvaluation>();
        foreach (var (query, document, expected) in ReadRows(await File.ReadAllTextAsync(csvPath, cancellationToken)))
        {
            var hits = await service.SearchAsync(query, Depth, cancellationToken: cancellationToken);
            var index = hits.ToList().FindIndex(h => IsRelevant(h, document, expected));
            results.Add(new QueryEvaluation(query, document, expected, index < 0 ? null : index + 1, hits.FirstOrDefault()?.Section));
        }

        var count = Math.Max(1, results.Count);
        return new EvaluationReport(
            results.Count,
            results.Count(r => r.Rank <= 5) / (double)count,
            results.Sum(r => r.Rank is { } rank ? 1.0 / rank : 0) / count,
            results);
    }

    public static bool IsRelevant(KnowledgeHit hit, string document, string expectedSection)
    {
        ArgumentNullException.ThrowIfNull(hit);
        if (hit.DocumentId != document && !hit.DocumentId.StartsWith(document + "-", StringComparison.Ordinal))
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

    internal static IEnumerable<(string Query, string Document, string ExpectedSection)> ReadRows(string csv)
    {
        var first = true;
        foreach (var line in csv.Split('\n'))
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            var fields = SplitCsvLine(line.TrimEnd('\r'));
            if (first && fields[0].Equals("query", StringComparison.OrdinalIgnoreCase))
            {
                first = false;
                continue;
            }

            first = false;
            if (fields.Count >= 3)
            {
                yield return (fields[0], fields[1], fields[2]);
            }
        }
    }

    private static List<string> SplitCsvLine(string line)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                fields.Add(field.ToString().Trim());
                field.Clear();
            }
            else
            {
                field.Append(c);
            }
        }

        fields.Add(field.ToString().Trim());
        return fields;
    }
}
