using System.Net;
using System.Text.RegularExpressions;
using AgentCrm.Knowledge.Ingest;

namespace AgentCrm.Knowledge.Tests.Ingest;

/// <summary>
/// The HTML sectioner as it was, with backtracking regexes (quadratic on openers that never close): the reference the
/// linear one must agree with on small inputs.
/// </summary>
internal static partial class RegexHtmlSectioner
{
    public static (string? Title, IReadOnlyList<Section> Sections) Parse(string html)
    {
        var builder = new SectionBuilder();
        html = Invisible().Replace(html, " ");
        var position = 0;
        foreach (Match heading in Heading().Matches(html))
        {
            AddParagraphs(html[position..heading.Index], builder);
            builder.Heading(heading.Groups["level"].Value[0] - '0', StripTags(heading.Groups["text"].Value));
            position = heading.Index + heading.Length;
        }

        AddParagraphs(html[position..], builder);
        return (builder.Title, builder.Build());
    }

    public static string StripTags(string html) => WebUtility.HtmlDecode(Tag().Replace(html, " "));

    private static void AddParagraphs(string html, SectionBuilder builder)
    {
        foreach (var block in BlockBoundary().Split(html))
        {
            builder.Paragraph(StripTags(block));
        }
    }

    [GeneratedRegex(@"<!--.*?-->|<(script|style|head|noscript|template)\b[^>]*>.*?</\1\s*>", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex Invisible();

    [GeneratedRegex(@"<h(?<level>[1-6])\b[^>]*>(?<text>.*?)</h\k<level>\s*>", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex Heading();

    [GeneratedRegex(@"</?(?:p|div|li|ul|ol|br|tr|table|section|article|blockquote|pre|dd|dt)\b[^>]*>|\n\s*\n", RegexOptions.IgnoreCase)]
    private static partial Regex BlockBoundary();

    [GeneratedRegex(@"<[^>]*>")]
    private static partial Regex Tag();
}
