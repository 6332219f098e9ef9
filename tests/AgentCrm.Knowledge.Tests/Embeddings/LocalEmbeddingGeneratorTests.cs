using System.Numerics.Tensors;
using AgentCrm.Knowledge.Embeddings;

namespace AgentCrm.Knowledge.Tests.Embeddings;

public sealed class LocalEmbeddingGeneratorTests
{
    [Fact]
    public async Task GenerateAsync_SameText_DeterministicUnitVectorOfConfiguredDimension()
    {
        using var first = new LocalEmbeddingGenerator(128);
        using var second = new LocalEmbeddingGenerator(128);

        var a = (await first.GenerateAsync(["Right to erasure of personal data"]))[0].Vector.ToArray();
        var b = (await second.GenerateAsync(["Right to erasure of personal data"]))[0].Vector.ToArray();

        Assert.Equal(128, a.Length);
        Assert.Equal(a, b);
        Assert.Equal(1f, TensorPrimitives.Norm(a), 4);
    }

    [Fact]
    public void Embed_RelatedTexts_CloserThanUnrelated()
    {
        using var embedder = new LocalEmbeddingGenerator();
        embedder.Refit(["the customer asks to erase personal data", "renewal pricing discount approval", "weekly active users dropped", "breach notification to the authority"]);

        var query = embedder.Embed("erasure of the customer's personal data");
        var related = embedder.Embed("the customer asks to erase personal data");
        var unrelated = embedder.Embed("renewal pricing discount approval");

        Assert.True(TensorPrimitives.Dot(query, related) > TensorPrimitives.Dot(query, unrelated) + 0.1);
    }

    [Fact]
    public void Refit_IdfRoundTrip_SameVectorsAfterDeserialize()
    {
        using var embedder = new LocalEmbeddingGenerator();
        embedder.Refit(["alpha beta gamma", "beta gamma delta", "gamma delta epsilon"]);
        using var restored = new LocalEmbeddingGenerator(idf: IdfModel.Deserialize(embedder.Idf.Serialize()));

        Assert.Equal(embedder.Embed("beta epsilon"), restored.Embed("beta epsilon"));
        Assert.Equal(3, restored.Idf.DocumentCount);
    }

    [Fact]
    public void Refit_CommonWord_WeighsLessThanRareWord()
    {
        using var embedder = new LocalEmbeddingGenerator();
        embedder.Refit(["data controller", "data processor", "data subject", "data erasure"]);

        var common = embedder.Embed("data");
        var query = embedder.Embed("data erasure");

        Assert.True(TensorPrimitives.Dot(query, embedder.Embed("erasure")) > TensorPrimitives.Dot(query, common));
    }
}
