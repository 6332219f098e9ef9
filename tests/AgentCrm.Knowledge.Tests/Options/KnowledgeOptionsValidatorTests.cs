using AgentCrm.Knowledge.Options;
using AgentCrm.Knowledge.Retrieval;
using AgentCrm.Knowledge.Stores;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AgentCrm.Knowledge.Tests.Options;

public sealed class KnowledgeOptionsValidatorTests
{
    [Fact]
    public void Validate_Defaults_Succeed() =>
        Assert.True(new KnowledgeOptionsValidator().Validate(null, new KnowledgeOptions()).Succeeded);

    [Fact]
    public void Validate_BadValues_NamesEveryKeyAtFault()
    {
        var options = new KnowledgeOptions { Dimension = 2, ChunkSize = 50, ChunkMaxSize = 10, ChunkOverlap = -1, MaxDocumentBytes = 0, MinScore = 2, IngestParallelism = 0, Provider = KnowledgeProvider.Qdrant };

        var result = new KnowledgeOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        foreach (var key in new[] { "Knowledge:Dimension", "Knowledge:ChunkSize", "Knowledge:ChunkMaxSize", "Knowledge:ChunkOverlap", "Knowledge:MaxDocumentBytes", "Knowledge:MinScore", "Knowledge:IngestParallelism" })
        {
            Assert.Contains(result.Failures!, f => f.StartsWith(key + " ", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Validate_BadValues_TellTheValueAsEverySectionDoes_Got()
    {
        var options = new KnowledgeOptions { Dimension = 2, ChunkSize = 50, ChunkMaxSize = 10, ChunkOverlap = -1, MaxDocumentBytes = 0, MinScore = 2, IngestParallelism = 0 };

        var failures = new KnowledgeOptionsValidator().Validate(null, options).Failures!.ToList();

        // One wording with the other sections' validators ("Storage:MaxBatch must be between 1 and 100000 (got 0).").
        Assert.Contains("Knowledge:ChunkSize must be at least 100 characters (got 50).", failures);
        Assert.Contains("Knowledge:Dimension must be between 8 and 8192 (got 2).", failures);
        Assert.All(failures.Where(f => f.Contains('(', StringComparison.Ordinal)), f => Assert.Contains("(got ", f, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AddKnowledge_EmbeddedProvider_ResolvesWorkingService()
    {
        using var data = new TestData();
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Knowledge:DataDirectory"] = data.Directory, ["Knowledge:Dimension"] = "64" })
            .Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration);

        services.AddKnowledge();
        using var provider = services.BuildServiceProvider();

        Assert.IsType<EmbeddedKnowledgeStore>(provider.GetRequiredService<IKnowledgeStore>());
        var service = provider.GetRequiredService<KnowledgeService>();
        await service.IngestAsync("Adoption reviews happen within 14 days.", Knowledge.Ingest.DocumentType.Text, "notes");
        Assert.Single(service.ListDocuments());
    }

    [Fact]
    public void AddKnowledge_InvalidSetting_FailsWithKey()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Knowledge:ChunkOverlap"] = "5000" })
            .Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration);
        services.AddKnowledge();
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<KnowledgeOptions>>().Value);

        Assert.Contains("Knowledge:ChunkOverlap", error.Message, StringComparison.Ordinal);
    }
}
