using AgentCrm.Agents.Html;

namespace AgentCrm.Knowledge.Ingest;

/// <summary>HTML into sections: headings and paragraphs as <see cref="HtmlText"/> reads them (shared with the compliance check).</summary>
internal static class HtmlSectioner
{
    public static (string? Title, IReadOnlyList<Section> Sections) Parse(string html)
    {
        var builder = new SectionBuilder();
        HtmlText.Read(html, builder.Heading, builder.Paragraph);
        return (builder.Title, builder.Build());
    }
}
