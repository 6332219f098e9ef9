using System.Text.RegularExpressions;

namespace AgentCrm.Knowledge.Ingest;

/// <summary>Plain text: one section, paragraphs separated by blank lines.</summary>
internal static partial class TextSectioner
{
    public static (string? Title, IReadOnlyList<Section> Sections) Parse(string text)
    {
        var builder = new SectionBuilder();
        foreach (var paragraph in BlankLine().Split(text))
        {
            builder.Paragraph(paragraph);
        }

        return (builder.Title, builder.Build());
    }

    [GeneratedRegex(@"\n\s*\n")]
    private static partial Regex BlankLine();
}
