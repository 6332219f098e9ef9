using AgentCrm.Knowledge.Ingest;
using AgentCrm.Knowledge.Retrieval;
using Xunit.Abstractions;

namespace AgentCrm.Knowledge.Tests.Retrieval;

public sealed class RetrievalEvaluationTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Run_BundledDocumentsAndDevQueries_MeetsRecallAndMrrTargets()
    {
        var report = await EvaluateAsync("queries-dev.csv");

        Assert.Equal(24, report.Queries);
        Assert.True(report.RecallAt5 >= 0.9, $"recall@5 {report.RecallAt5:F3} < 0.9");
        Assert.True(report.Mrr >= 0.7, $"MRR {report.Mrr:F3} < 0.7");
        // The synonym miss the expansion exists for: "delete" has to find the right to erasure.
        Assert.True(report.Results.Single(r => r.Query.Contains("delete", StringComparison.Ordinal)).Rank <= 5);
    }

    /// <summary>
    /// A second set, written from the documents in everyday words that avoid the regulation's own (wipe, hacked,
    /// regulator, sue, kids, staff…). Without query expansion it scores recall@5 0.17 and MRR 0.10.
    /// </summary>
    [Fact]
    public async Task Run_BundledDocumentsAndPlainLanguageQueries_SynonymsBridgeTheVocabularyGap()
    {
        var report = await EvaluateAsync("queries-paraphrase.csv");

        Assert.Equal(24, report.Queries);
        Assert.True(report.RecallAt5 >= 0.75, $"recall@5 {report.RecallAt5:F3} < 0.75");
        Assert.True(report.Mrr >= 0.6, $"MRR {report.Mrr:F3} < 0.6");
    }

    private async Task<EvaluationReport> EvaluateAsync(string queries)
    {
        using var data = new TestData();
        using var service = data.CreateService();
        await service.IngestAsync(await File.ReadAllTextAsync(TestData.Bundled("gdpr_regulation_eu_2016_679_en.md")), DocumentType.Markdown, "gdpr-regulation-eu-2016-679-en");
        await service.IngestAsync(await File.ReadAllTextAsync(TestData.Bundled("18f_derisking_government_technology_federal_field_guide.md")), DocumentType.Markdown, "18f-derisking-government-technology-federal-field-guide");

        var report = await RetrievalEvaluation.RunAsync(service, TestData.Bundled(queries));

        foreach (var result in report.Results)
        {
            output.WriteLine($"{result.Rank?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-",2} {result.Query} => {result.TopSection}");
        }

        output.WriteLine($"{queries}: recall@5 {report.RecallAt5:F3}  MRR {report.Mrr:F3}  ({report.Queries} queries)");
        return report;
    }
}
