using System.Text.Json;
using System.Text.RegularExpressions;
using AgentCrm.Agents;

namespace AgentCrm.Knowledge;

/// <summary>
/// What a reason's citation search asks: its explanation without what it quotes and without its figures. A quotation is
/// the customer's own text (the clause found, the notice's title): evidence of the finding, not its topic. Searched with
/// it, a 300-character clause outweighed the words "limitation of liability clause" before it, and a contract's wording
/// matched whichever playbook section shared the most words (a non-compete section for an NDA's damages clause). A figure
/// ("6" in "contract ends in 6 days", "0.93" in "(p 0.93)") is the customer's measure, not the topic either: searched with
/// it, "contract ends in 6 days" ranked the renewal playbook's "6. New customers" first (its heading and its "30, 60 and
/// 90 days" share the numbers) over "1. Contract ending soon".
/// </summary>
internal static partial class CitationQuery
{
    /// <summary>The explanation with its quotations left out; the whole explanation when nothing but a quotation is left.</summary>
    public static string Of(Reason reason)
    {
        var explanation = reason.Explanation;
        if (string.IsNullOrWhiteSpace(explanation))
            return "";
        var text = explanation;
        // The value first, as quoted: a clause may hold quotation marks of its own ("the "Breaching Party""), which pairing
        // the marks alone would split.
        if (ValueText(reason.Value) is { Length: > 0 } value)
            text = text.Replace('"' + value + '"', " ", StringComparison.Ordinal).Replace('“' + value + '”', " ", StringComparison.Ordinal);
        text = Spaces().Replace(Figures().Replace(Quotations().Replace(text, " "), " "), " ").Trim();
        return text.Any(char.IsLetter) ? text : explanation.Trim();
    }

    private static string? ValueText(object? value) => value switch
    {
        string s => s,
        JsonElement { ValueKind: JsonValueKind.String } e => e.GetString(),
        _ => null,
    };

    // A quotation left open (the explanation cut inside it) runs to the end.
    [GeneratedRegex("\"[^\"]*(\"|$)|“[^”]*(”|$)")]
    private static partial Regex Quotations();

    // A number standing alone ("6", "-0", "0.93", "1,200", "25%"), not one inside a word or a name ("§11", "Q3", "B2B").
    [GeneratedRegex(@"(?<![\p{L}\p{N}§_])[-+−]?\d+(?:[.,]\d+)*%?(?![\p{L}\p{N}_])")]
    private static partial Regex Figures();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();
}
