using System.Text.RegularExpressions;

namespace AgentCrm.Agents.Html;

/// <summary>One element found by <see cref="HtmlElements.Find"/>: the whole of it, and the content between its tags.</summary>
internal readonly record struct HtmlElement(int Start, int End, int ContentStart, int ContentEnd, string Name);

/// <summary>
/// Finds elements the way the regex <c>&lt;(name)\b[^&gt;]*&gt;.*?&lt;/\1\s*&gt;</c> would (leftmost first, each from
/// its opener to the first closer of the same name after it, none inside another), in time linear in the text: a regex
/// with a back-reference searches to the end of the text again from every opener that never closes, which made
/// 20,000 unclosed <c>&lt;h2&gt;</c> (80 KB) take 50 s. Here the openers are found by one regex, and each opener's
/// <c>&gt;</c> and closer by a <see cref="ForwardSearch"/> per closer name, which never reads the same text twice.
/// </summary>
internal static partial class HtmlElements
{
    /// <summary>
    /// <paramref name="opener"/> matches the start of an opening tag and captures its <c>name</c>; when it also captures
    /// <c>tag</c>, the opening tag runs on to the next <c>&gt;</c> (its attributes), else it ends with the match (as
    /// <c>&lt;!--</c> does). <paramref name="closer"/> matches any closing tag, capturing the same <c>name</c>
    /// (compared ignoring case). Closers must not overlap one another.
    /// </summary>
    public static IEnumerable<HtmlElement> Find(string html, Regex opener, Regex closer)
    {
        var tagEnd = new ForwardSearch(html, TagEnd());
        var closers = new Dictionary<string, ForwardSearch>(StringComparer.OrdinalIgnoreCase);
        var position = 0;
        for (var open = opener.Match(html, position); open.Success; open = opener.Match(html, position))
        {
            // As the regex does on a failed attempt, the next try starts one character on.
            position = open.Index + 1;
            var contentStart = open.Index + open.Length;
            if (open.Groups["tag"].Success)
            {
                if (tagEnd.From(contentStart) is not { } end)
                {
                    continue;
                }

                contentStart = end.Index + end.Length;
            }

            var name = open.Groups["name"].Value;
            if (!closers.TryGetValue(name, out var search))
            {
                search = new ForwardSearch(html, closer, m => string.Equals(m.Groups["name"].Value, name, StringComparison.OrdinalIgnoreCase));
                closers[name] = search;
            }

            if (search.From(contentStart) is { } close)
            {
                position = close.Index + close.Length;
                yield return new HtmlElement(open.Index, position, contentStart, close.Index, name);
            }
        }
    }

    [GeneratedRegex(">")]
    private static partial Regex TagEnd();
}
