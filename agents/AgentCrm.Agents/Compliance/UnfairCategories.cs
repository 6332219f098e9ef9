namespace AgentCrm.Agents.Compliance;

/// <summary>The CLAUDETTE unfair-clause categories: label names as the case mapping declares them, what a CSM reads, and the fix to propose.</summary>
internal static class UnfairCategories
{
    public const string Unfair = "unfair";

    public static readonly IReadOnlyDictionary<string, (string Label, string Fix)> All = new Dictionary<string, (string, string)>(StringComparer.Ordinal)
    {
        ["arbitration"] = ("arbitration", "make arbitration optional for consumers and keep their right to go to court"),
        ["unilateral-change"] = ("unilateral change", "limit changes to stated valid reasons, with advance notice and a right to terminate"),
        ["content-removal"] = ("content removal", "remove content only for stated reasons, with notice and a way to appeal"),
        ["jurisdiction"] = ("jurisdiction", "let consumers sue and be sued in the courts of their place of residence"),
        ["choice-of-law"] = ("choice of law", "keep the protection of the consumer's own country's mandatory law"),
        ["limitation-of-liability"] = ("limitation of liability", "do not exclude liability for gross negligence, intent or personal injury; cap it fairly instead"),
        ["unilateral-termination"] = ("unilateral termination", "terminate only for stated serious reasons, with notice and a refund of prepaid fees"),
        ["contract-by-using"] = ("contract by using", "ask for explicit acceptance instead of binding users by mere use"),
        ["privacy-included"] = ("privacy included", "keep consent to data processing separate from acceptance of the terms"),
    };

    public static string LabelOf(string category) => All.TryGetValue(category, out var c) ? c.Label : category.Replace('-', ' ');

    public static string FixOf(string category) => All.TryGetValue(category, out var c) ? c.Fix : "rewrite the clause so it does not create a significant imbalance to the customer's detriment";
}
