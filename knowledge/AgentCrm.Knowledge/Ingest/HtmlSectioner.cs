using System.Net;
using System.Text.RegularExpressions;

namespace AgentCrm.Knowledge.Ingest;

/// <summary>A small tolerant HTML reader: drops script/style/comments, h1–h6 become headings, block tags end paragraphs.</summary>
internal static partial class HtmlSectioner
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
