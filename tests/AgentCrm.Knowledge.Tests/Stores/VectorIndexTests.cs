using AgentCrm.Knowledge.Stores;

namespace AgentCrm.Knowledge.Tests.Stores;

public sealed class VectorIndexTests
{
    [Fact]
    public void Search_AboveQuantizeThreshold_SameTopKAsExactScan()
    {
        var random = new Random(7);
        var index = VectorIndex.Build(64, [.. Enumerable.Range(0, VectorIndex.QuantizeAbove + 5_000).Select(i => Record(i, RandomUnit(random, 64)))]);

        for (var q = 0; q < 20; q++)
        {
            var query = RandomUnit(random, 64);
            var exact = index.ExactSearch(query, 10, null, float.NegativeInfinity);

            var hits = index.Search(query, 10, null, float.NegativeInfinity);

            Assert.Equal(exact.Select(e => e.Row), hits.Select(h => h.Row));
            Assert.Equal(exact.Select(e => e.Score), hits.Select(h => h.Score));
        }
    }

    [Fact]
    public void Search_AboveQuantizeThresholdWithFilterAndThreshold_OnlyMatchingRowsAboveThreshold()
    {
        var random = new Random(11);
        var index = VectorIndex.Build(32, [.. Enumerable.Range(0, VectorIndex.QuantizeAbove + 1_000).Select(i => Record(i, RandomUnit(random, 32)))]);
        var query = RandomUnit(random, 32);

        var hits = index.Search(query, 5, r => r.DocumentId == "even", 0.3f);

        Assert.NotEmpty(hits);
        Assert.All(hits, h => Assert.True(h.Row % 2 == 0 && h.Score >= 0.3f));
        Assert.Equal(index.ExactSearch(query, 5, r => r.DocumentId == "even", 0.3f).Select(e => e.Row), hits.Select(h => h.Row));
    }

    private static KnowledgeRecord Record(int i, float[] vector) =>
        new($"r#{i}", i % 2 == 0 ? "even" : "odd", "t", "s", "chunk", string.Empty, [], null, "en", vector);

    private static float[] RandomUnit(Random random, int dimension)
    {
        var vector = Enumerable.Range(0, dimension).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
        var norm = MathF.Sqrt(vector.Sum(v => v * v));
        return [.. vector.Select(v => v / norm)];
    }
}
