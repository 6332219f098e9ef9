using AgentCrm.Knowledge.Ingest;

namespace AgentCrm.Knowledge.Tests.Retrieval;

/// <summary>
/// A query that shares nothing with any passage finds nothing (qa34a: <c>q=🚀</c> answered hits of similarity 0 with a fused
/// score of 0.33, which a CSM cannot tell from real hits); a query that shares words still finds them.
/// </summary>
public sealed class NothingInCommonTests : IDisposable
{
    private readonly TestData _data = new();

    [Theory]
    [InlineData("🚀")]
    [InlineData("✨ … !!")]
    public async Task AQuerySharingNothing_FindsNothing(string query)
    {
        using var service = _data.CreateService();
        await service.IngestAsync("# Zoo care\n\n## Hooves\n\nZebras need quarterly hoof trimming by a farrier.\n\n## Food\n\nGiraffes eat acacia leaves.", DocumentType.Markdown, "zoo");
        await service.IngestAsync("# Renewals\n\nAlpha renewals need a CFO sign-off before the contract ends.", DocumentType.Markdown, "alpha");

        Assert.Empty(await service.SearchAsync(query, 5));
        var hit = Assert.Single(await service.SearchAsync("hoof trimming", 1));
        Assert.Equal("zoo", hit.DocumentId);
        Assert.True(hit.Similarity > 0);
    }

    public void Dispose() => _data.Dispose();
}
