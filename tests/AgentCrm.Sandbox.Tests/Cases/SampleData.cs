using System.Text;
using AgentCrm.Sandbox.Cases;

namespace AgentCrm.Sandbox.Tests.Cases;

/// <summary>The data and mappings that ship in the repository, and in-memory case files for loader tests.</summary>
internal static class SampleData
{
    public static string Root { get; } = FindRoot();

    public static string TelcoCsv => Path.Combine(Root, "sandbox", "data", "churn", "ibm-telco", "Telco-Customer-Churn.csv");

    public static string TelcoMapping => Path.Combine(Root, "sandbox", "mappings", "telco-churn.yaml");

    public static string IranianCsv => Path.Combine(Root, "sandbox", "data", "churn", "uci-iranian-churn", "Customer_Churn.csv");

    public static string IranianMapping => Path.Combine(Root, "sandbox", "mappings", "iranian-churn.yaml");

    public static string ClaudetteCsv => Path.Combine(Root, "sandbox", "data", "compliance", "claudette-tos", "tos_unfair_clauses_en.csv");

    public static string ClaudetteMapping => Path.Combine(Root, "sandbox", "mappings", "claudette-tos.yaml");

    public static string TendersCsv => Path.Combine(Root, "sandbox", "data", "tender", "canada-buyandsell", "buyandsell_tenders_2010_2014.csv");

    public static string TendersMapping => Path.Combine(Root, "sandbox", "mappings", "canada-tenders.yaml");

    private static readonly Lazy<CaseSet> LazyClaudette = new(() => CaseSetLoader.LoadTabular(ClaudetteCsv, ClaudetteMapping));
    private static readonly Lazy<CaseSet> LazyTenders = new(() => CaseSetLoader.LoadTabular(TendersCsv, TendersMapping));

    public static CaseSet Claudette => LazyClaudette.Value;

    public static CaseSet Tenders => LazyTenders.Value;

    private static readonly Lazy<CaseSet> LazyTelco = new(() => CaseSetLoader.LoadTabular(TelcoCsv, TelcoMapping));
    private static readonly Lazy<CaseSet> LazyIranian = new(() => CaseSetLoader.LoadTabular(IranianCsv, IranianMapping));

    /// <summary>Loaded once per test run (read-only).</summary>
    public static CaseSet Telco => LazyTelco.Value;

    public static CaseSet Iranian => LazyIranian.Value;

    public static CaseSet Tabular(string csv, string mapping) =>
        CaseSetLoader.LoadTabular(Stream(csv), "cases.csv", Stream(mapping), "mapping.yaml");

    public static CaseSet Timeline(string ndjson, string labels, string name = "timeline-test") =>
        CaseSetLoader.LoadTimeline(Stream(ndjson), "events.ndjson", Stream(labels), "labels.csv", name);

    public static MemoryStream Stream(string text) => new(Encoding.UTF8.GetBytes(text));

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "AgentCrm.sln")))
                return dir.FullName;
        throw new InvalidOperationException($"No AgentCrm.sln above {AppContext.BaseDirectory}.");
    }
}
