using System.Collections.Concurrent;

namespace AgentCrm.Agents.Text;

/// <summary>
/// Cue phrases grouped by category, written from public category definitions (the CLAUDETTE paper's unfair-clause
/// categories, the GSIN ICT class names), never from a case set's labels. A text gets one term <c>l category</c> per
/// category, counted over its cue phrases: rare wordings of one category pool their evidence. A phrase is lower-case
/// words; a word ending in <c>*</c> matches any word it starts (<c>terminat*</c>). Shipped as embedded text files
/// (<c>Text/Lexicons/NAME.txt</c>: <c>[category]</c> lines, then one phrase a line, <c>#</c> comments).
/// </summary>
public sealed class TextLexicon
{
    private static readonly ConcurrentDictionary<string, TextLexicon?> Shipped = new(StringComparer.Ordinal);

    private readonly List<(string Category, string[] Words)> _phrases;

    private TextLexicon(string name, List<(string Category, string[] Words)> phrases)
    {
        Name = name;
        _phrases = phrases;
        Categories = phrases.Select(p => p.Category).Distinct(StringComparer.Ordinal).ToList();
    }

    public string Name { get; }

    public IReadOnlyList<string> Categories { get; }

    /// <summary>The names of the shipped lexicons.</summary>
    public static IReadOnlyList<string> Names { get; } = typeof(TextLexicon).Assembly.GetManifestResourceNames()
        .Where(n => n.Contains(".Lexicons.", StringComparison.Ordinal) && n.EndsWith(".txt", StringComparison.Ordinal))
        .Select(n => n[(n.IndexOf(".Lexicons.", StringComparison.Ordinal) + ".Lexicons.".Length)..^4]).Order(StringComparer.Ordinal).ToList();

    /// <summary>A shipped lexicon by name; null when there is none of that name.</summary>
    /// <remarks>Only shipped names are cached, so a manifest naming many unknown lexicons cannot grow the cache.</remarks>
    public static TextLexicon? Load(string name) => !Names.Contains(name, StringComparer.Ordinal) ? null : Shipped.GetOrAdd(name, n =>
    {
        var assembly = typeof(TextLexicon).Assembly;
        var resource = assembly.GetManifestResourceNames().SingleOrDefault(r => r.EndsWith(".Lexicons." + n + ".txt", StringComparison.Ordinal));
        if (resource is null)
            return null;
        using var reader = new StreamReader(assembly.GetManifestResourceStream(resource)!);
        return Parse(n, reader.ReadToEnd());
    });

    /// <summary>Reads the text form; throws <see cref="FormatException"/> naming the line of a phrase before any <c>[category]</c>.</summary>
    public static TextLexicon Parse(string name, string text)
    {
        var phrases = new List<(string, string[])>();
        string? category = null;
        var lineNumber = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNumber++;
            var line = raw.Split('#', 2)[0].Trim();
            if (line.Length == 0)
                continue;
            if (line.StartsWith('[') && line.EndsWith(']'))
            {
                category = line[1..^1].Trim();
                continue;
            }
            if (category is null)
                throw new FormatException($"lexicon {name}, line {lineNumber}: a phrase before any [category].");
            var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .SelectMany(w => w.EndsWith('*') && TextFeaturizer.Words(w[..^1]) is { Count: 1 } stem ? [stem[0] + "*"] : TextFeaturizer.Words(w))
                .ToArray();
            if (words.Length > 0)
                phrases.Add((category, words));
        }
        return new TextLexicon(name, phrases);
    }

    /// <summary>Adds <c>l category</c> counts for every cue phrase found in <paramref name="words"/> (lower-cased).</summary>
    public void Count(IReadOnlyList<string> words, Dictionary<string, int> into)
    {
        foreach (var (category, phrase) in _phrases)
        {
            var found = 0;
            for (var s = 0; s + phrase.Length <= words.Count; s++)
            {
                var match = true;
                for (var k = 0; k < phrase.Length && match; k++)
                    match = phrase[k].EndsWith('*')
                        ? words[s + k].StartsWith(phrase[k].AsSpan(0, phrase[k].Length - 1), StringComparison.Ordinal)
                        : words[s + k] == phrase[k];
                if (match)
                    found++;
            }
            if (found > 0)
                into["l " + category] = into.GetValueOrDefault("l " + category) + found;
        }
    }
}
