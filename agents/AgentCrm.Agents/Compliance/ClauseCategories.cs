namespace AgentCrm.Agents.Compliance;

/// <summary>
/// The CUAD contract clause categories a policy can name (label names as the <c>cuad</c> case mapping declares
/// them): what a reader sees, the contract-terms playbook section to cite, and the fix to propose when the clause is
/// missing (required) or present (flagged).
/// </summary>
internal static class ClauseCategories
{
    public const string Playbook = "contract terms playbook";

    private const string General = "§10 Policy checks on business contracts";

    public static readonly IReadOnlyDictionary<string, (string Label, string Section, string AddFix, string FlagFix)> All =
        new Dictionary<string, (string, string, string, string)>(StringComparer.Ordinal)
        {
            ["cap-on-liability"] = ("Cap on Liability", "§11 Cap on liability",
                "add the standard cap on liability (total liability limited to the fees paid in the prior 12 months, carve-outs only for confidentiality, IP indemnity, gross negligence and wilful misconduct)",
                "check that the liability cap is not below the fees paid in the prior 12 months"),
            ["uncapped-liability"] = ("Uncapped Liability", "§12 Uncapped liability",
                "no action needed",
                "replace the uncapped liability with the standard cap, keeping unlimited liability only for the playbook's carve-outs"),
            ["most-favored-nation"] = ("Most Favored Nation", "§13 Most favored nation",
                "no action needed",
                "strike the most-favored-nation clause, or limit it to the same product, volume and term, for 12 months, without retroactive refunds"),
            ["non-compete"] = ("Non-Compete", "§14 Non-compete",
                "no action needed",
                "strike the non-compete, or limit it to the contract's product line, its term and the named territory, and get legal's written approval"),
        };

    public static string LabelOf(string category) =>
        All.TryGetValue(category, out var c) ? c.Label : string.Join(' ', category.Split('-').Select(w => w.Length == 0 ? w : char.ToUpperInvariant(w[0]) + w[1..]));

    /// <summary>Where the playbook covers the category, e.g. <c>contract terms playbook §13 Most favored nation</c>.</summary>
    public static string SectionOf(string category) => $"{Playbook} {(All.TryGetValue(category, out var c) ? c.Section : General)}";

    public static string AddFixOf(string category) =>
        All.TryGetValue(category, out var c) ? c.AddFix : $"add the standard {LabelOf(category)} clause from the clause library, as the contract policy requires";

    public static string FlagFixOf(string category) =>
        All.TryGetValue(category, out var c) ? c.FlagFix : $"negotiate the {LabelOf(category)} clause out or limit its scope, duration and territory, and record the approval";
}
