using AgentCrm.Knowledge.Stores;
using AgentCrm.Knowledge.Stores.Qdrant;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AgentCrm.Knowledge.Tests.Qdrant;

public sealed class QdrantOptionsTests
{
    [Fact]
    public void Validate_BadValues_ReportsEveryFailureNamingTheKey()
    {
        var result = new QdrantOptionsValidator().Validate(null, new QdrantOptions { Url = "localhost:6333", Collection = "a/b", ApiKey = " ", Timeout = TimeSpan.Zero });

        Assert.True(result.Failed);
        Assert.Equal(["Knowledge:Qdrant:Url", "Knowledge:Qdrant:Collection", "Knowledge:Qdrant:ApiKey", "Knowledge:Qdrant:Timeout"],
            result.Failures!.Select(f => f.Split(' ')[0]));
    }

    [Theory]
    [InlineData("clé")]
    [InlineData("key\u00a0two")]
    public void Validate_NonAsciiApiKey_FailsNamingTheKey(string key)
    {
        // HttpClient refuses a non-ASCII header value on every request, which would look like Qdrant being down.
        var result = new QdrantOptionsValidator().Validate(null, new QdrantOptions { Url = "http://localhost:6333", ApiKey = key });

        Assert.StartsWith("Knowledge:Qdrant:ApiKey", Assert.Single(result.Failures!));
        Assert.Contains("ASCII", result.Failures!.Single());
    }

    [Fact]
    public void Validate_Defaults_OnlyUrlIsMissing()
    {
        var result = new QdrantOptionsValidator().Validate(null, new QdrantOptions());

        Assert.StartsWith("Knowledge:Qdrant:Url", Assert.Single(result.Failures!));
        Assert.True(new QdrantOptionsValidator().Validate(null, new QdrantOptions { Url = "http://localhost:6333" }).Succeeded);
    }

    [Fact]
    public void AddQdrantKnowledgeStore_BindsSectionAndResolvesTheStore()
    {
        using var provider = Services(new() { ["Knowledge:Qdrant:Url"] = "http://qdrant:6333", ["Knowledge:Qdrant:Collection"] = "docs", ["Knowledge:Qdrant:Timeout"] = "00:00:05" });

        Assert.IsType<QdrantKnowledgeStore>(provider.GetRequiredService<IKnowledgeStore>());
        var options = provider.GetRequiredService<IOptions<QdrantOptions>>().Value;
        Assert.Equal(("http://qdrant:6333", "docs", TimeSpan.FromSeconds(5)), (options.Url, options.Collection, options.Timeout));
    }

    [Fact]
    public void AddQdrantKnowledgeStore_MissingUrl_FailsNamingTheKey()
    {
        using var provider = Services([]);

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IKnowledgeStore>());

        Assert.Contains("Knowledge:Qdrant:Url", ex.Message);
    }

    [Fact]
    public void PointId_IsTheRfcVersion5UuidOfTheRecordId()
    {
        // Reference values from Python's uuid.uuid5(UUID("0f7f3d3c-5b86-4f0e-9a53-2b8f5f9a6c41"), id).
        Assert.Equal("9d937f7d-8d42-5c42-9f07-6db7b5fbcd2b", QdrantPointId.From("gdpr#c0042"));
        Assert.Equal("468b57c7-9b3f-5a1d-97dd-5767fff97c33", QdrantPointId.From("gdpr#d0007"));
    }

    [Fact]
    public void PointIdFor_ARecordVersion_IsTheUuidOfItsIdAndContent_SoAnotherVersionIsAnotherPoint()
    {
        // Python: uuid.uuid5(ns, "\x1f".join([id, kind, section, text, source_chunk_id or ""])).
        var distilled = QdrantTestStore.Record("gdpr#d0007", "renewal-risk", "gdpr#c0042", "privacy");

        Assert.Equal("240e4e8a-4143-5a70-910b-379a6a9abaea", QdrantPointId.For(QdrantTestStore.Record("gdpr#c0042", tags: "privacy")));
        Assert.Equal("18bbcc0e-dc27-58a7-9a35-d000b126e7d7", QdrantPointId.For(distilled));
        // Metadata is not content: re-labelling keeps the point; another text under the same (positional) id does not.
        Assert.Equal(QdrantPointId.For(distilled), QdrantPointId.For(distilled with { Title = "Other", Tags = ["x"], Scenario = null, Language = "de" }));
        Assert.NotEqual(QdrantPointId.For(distilled), QdrantPointId.For(distilled with { Text = "Another passage." }));
    }

    private static ServiceProvider Services(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddLogging();
        services.AddQdrantKnowledgeStore();
        return services.BuildServiceProvider();
    }
}
