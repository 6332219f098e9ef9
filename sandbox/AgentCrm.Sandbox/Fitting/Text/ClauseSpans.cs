using System.Text;
using AgentCrm.Sandbox.Cases;

namespace AgentCrm.Sandbox.Fitting.Text;

/// <summary>
/// The annotated clause spans of CUAD's <c>master_clauses.csv</c>: per contract (<c>Filename</c>) and per category
/// (the label name a case mapping gives it, e.g. <c>Cap on Liability</c> → <c>cap-on-liability</c>) the clause texts
/// the annotators marked. A context cell is a Python list literal of strings; a span that skips text carries
/// <c>&lt;omitted&gt;</c> between its pieces, and each piece is matched on its own.
/// </summary>
public sealed class ClauseSpans
{
    public const string Omitted = "<omitted>";

    private readonly Dictionary<string, Dictionary<string, List<string>>> _byDocument;

    private ClauseSpans(Dictionary<string, Dictionary<string, List<string>>> byDocument) => _byDocument = byDocument;

    /// <summary>Contracts the file has a row for.</summary>
    public int Documents => _byDocument.Count;

    /// <summary>Whether the file has a row for the contract (a contract without one has unknown spans, not empty ones).</summary>
    public bool Has(string document) => _byDocument.ContainsKey(document);

    /// <summary>The span pieces of one category in one contract (empty when none were marked or the contract has no row).</summary>
    public IReadOnlyList<string> Of(string document, string category) =>
        _byDocument.TryGetValue(document, out var d) && d.TryGetValue(category, out var s) ? s : [];

    /// <summary>A category's label name as the CUAD case mapping spells it: lower case, spaces to dashes.</summary>
    public static string LabelName(string category) => category.Trim().ToLowerInvariant().Replace(' ', '-');

    public static ClauseSpans Load(string path)
    {
        if (!File.Exists(path))
            throw new CaseSetException(path, null, null, "the spans file does not exist.");
        return Parse(CsvReader.Decode(File.ReadAllBytes(path), path), path);
    }

    /// <summary>Reads the CSV strictly: a <c>Filename</c> column, and every column with a <c>&lt;Category&gt;-Answer</c> sibling is a span column.</summary>
    public static ClauseSpans Parse(string csv, string file)
    {
        var table = CsvReader.Read(csv, file);
        var id = table.IndexOf("Filename");
        if (id < 0)
            throw new CaseSetException(file, 1, "Filename", "the spans file needs a Filename column naming each contract.");
        var columns = table.Header.Select((name, i) => (name, i))
            .Where(c => c.i != id && !c.name.EndsWith("-Answer", StringComparison.Ordinal) && table.IndexOf(c.name + "-Answer") >= 0)
            .ToList();
        var byDocument = new Dictionary<string, Dictionary<string, List<string>>>(StringComparer.Ordinal);
        foreach (var row in table.Rows)
        {
            var categories = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            foreach (var (name, i) in columns)
            {
                List<string> spans;
                try
                {
                    spans = PythonStrings(row.Values[i]);
                }
                catch (FormatException ex)
                {
                    throw new CaseSetException(file, row.Line, name, ex.Message);
                }
                categories[LabelName(name)] = spans
                    .SelectMany(s => s.Split(Omitted, StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                    .ToList();
            }
            byDocument[row.Values[id]] = categories;
        }
        return new ClauseSpans(byDocument);
    }

    /// <summary>Parses a Python list literal of strings (<c>['a', "b"]</c>, backslash escapes); an empty cell is an empty list.</summary>
    public static List<string> PythonStrings(string cell)
    {
        var list = new List<string>();
        var s = cell.Trim();
        if (s.Length == 0)
            return list;
        if (s[0] != '[' || s[^1] != ']')
            throw new FormatException("a span cell must be a list of strings like ['…', '…'].");
        var i = 1;
        while (true)
        {
            while (i < s.Length && (char.IsWhiteSpace(s[i]) || s[i] == ','))
                i++;
            if (i >= s.Length - 1)
                break;
            var quote = s[i];
            if (quote is not ('\'' or '"'))
                throw new FormatException($"a span cell has {s[i]} where a quoted string should start (offset {i}).");
            var sb = new StringBuilder();
            i++;
            while (true)
            {
                if (i >= s.Length - 1)
                    throw new FormatException("a quoted span is never closed.");
                var c = s[i];
                if (c == quote)
                {
                    i++;
                    break;
                }
                if (c == '\\' && i + 1 < s.Length - 1)
                {
                    var e = s[i + 1];
                    sb.Append(e switch { 'n' => '\n', 't' => '\t', 'r' => '\r', _ => e });
                    i += 2;
                    continue;
                }
                sb.Append(c);
                i++;
            }
            list.Add(sb.ToString());
        }
        return list;
    }
}

/// <summary>
/// Finds annotated spans in a contract text and marks the sentences they cover. Matching ignores case and runs of
/// white space (the spans were extracted with different line breaks); a sentence counts as inside a span when at
/// least half of the shorter of the two overlaps.
/// </summary>
public static class SpanMatcher
{
    /// <summary>The character ranges [start, end) of the text where a span occurs (every occurrence of every span).</summary>
    public static List<(int Start, int End)> Find(string text, IEnumerable<string> spans)
    {
        var (normal, map) = Normalise(text);
        var ranges = new List<(int, int)>();
        foreach (var span in spans)
        {
            var needle = Normalise(span).Text;
            if (needle.Length == 0)
                continue;
            for (var at = normal.IndexOf(needle, StringComparison.Ordinal); at >= 0; at = normal.IndexOf(needle, at + 1, StringComparison.Ordinal))
                ranges.Add((map[at], map[at + needle.Length - 1] + 1));
        }
        return ranges;
    }

    /// <summary>Where each sentence starts in the text (sentences are trimmed pieces in text order, as <see cref="AgentCrm.Agents.Text.SentenceSplitter"/> gives them).</summary>
    public static (int Start, int End)[] Locate(string text, IReadOnlyList<string> sentences)
    {
        var result = new (int, int)[sentences.Count];
        var cursor = 0;
        for (var i = 0; i < sentences.Count; i++)
        {
            var at = text.IndexOf(sentences[i], cursor, StringComparison.Ordinal);
            if (at < 0)
                at = cursor; // not found verbatim (cannot happen for the splitter's output); keep order
            result[i] = (at, at + sentences[i].Length);
            cursor = Math.Min(text.Length, at + Math.Max(1, sentences[i].Length));
        }
        return result;
    }

    /// <summary>For each sentence, whether it lies inside one of the ranges.</summary>
    public static bool[] Inside(IReadOnlyList<(int Start, int End)> sentences, IReadOnlyList<(int Start, int End)> ranges)
    {
        var inside = new bool[sentences.Count];
        for (var i = 0; i < sentences.Count; i++)
        {
            var (s, e) = sentences[i];
            foreach (var (rs, re) in ranges)
            {
                var overlap = Math.Min(e, re) - Math.Max(s, rs);
                if (overlap > 0 && overlap * 2 >= Math.Min(e - s, re - rs))
                {
                    inside[i] = true;
                    break;
                }
            }
        }
        return inside;
    }

    /// <summary>Lower-cased text with white-space runs collapsed to one space, and for each kept character its index in the original.</summary>
    private static (string Text, int[] Map) Normalise(string text)
    {
        var sb = new StringBuilder(text.Length);
        var map = new List<int>(text.Length);
        var space = true; // drops leading white space
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c))
            {
                if (!space)
                {
                    sb.Append(' ');
                    map.Add(i);
                    space = true;
                }
                continue;
            }
            sb.Append(char.ToLowerInvariant(c));
            map.Add(i);
            space = false;
        }
        if (sb.Length > 0 && sb[^1] == ' ')
        {
            sb.Length--;
            map.RemoveAt(map.Count - 1);
        }
        return (sb.ToString(), map.ToArray());
    }
}
