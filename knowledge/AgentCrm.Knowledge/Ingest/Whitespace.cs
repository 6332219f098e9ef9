using System.Text.RegularExpressions;

namespace AgentCrm.Knowledge.Ingest;

internal static partial class Whitespace
{
    public static string Collapse(string text) => Runs().Replace(text, " ").Trim();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Runs();
}
