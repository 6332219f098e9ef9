using System.Numerics.Tensors;
using Microsoft.Extensions.AI;

namespace AgentCrm.Knowledge.Embeddings;

/// <summary>
/// A deterministic, offline embedder: hashed word, bigram and character n-gram features, sub-linear TF × IDF,
/// signed feature hashing into <see cref="Dimension"/> buckets, each feature group L2-normalised and weighted, then
/// the whole vector L2-normalised. IDF comes from <see cref="Idf"/>, fitted by <see cref="Refit"/> over the whole corpus
/// (the knowledge service refits and re-embeds when the corpus has drifted), so queries and records share one IDF.
/// </summary>
public sealed class LocalEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    public const int DefaultDimension = 384;
    public const string ModelId = "agentcrm-local-hashed-ngrams-v1";

    private static readonly float[] GroupWeights = [1.0f, 0.6f, 0.8f];

    private volatile IdfModel _idf;

    public LocalEmbeddingGenerator(int dimension = DefaultDimension, IdfModel? idf = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 8);
        Dimension = dimension;
        _idf = idf ?? new IdfModel();
        Metadata = new EmbeddingGeneratorMetadata("agentcrm-local", null, ModelId, dimension);
    }

    public int Dimension { get; }

    public EmbeddingGeneratorMetadata Metadata { get; }

    /// <summary>The IDF snapshot used for every embedding; swapping it means existing vectors must be recomputed.</summary>
    public IdfModel Idf
    {
        get => _idf;
        set => _idf = value;
    }

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var result = new GeneratedEmbeddings<Embedding<float>>();
        var idf = _idf;
        foreach (var value in values)
        {
            cancellationToken.ThrowIfCancellationRequested();
            result.Add(new Embedding<float>(Embed(value, idf)) { ModelId = ModelId });
        }

        return Task.FromResult(result);
    }

    public float[] Embed(string text) => Embed(text, _idf);

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null)
        {
            return null;
        }

        if (serviceType == typeof(EmbeddingGeneratorMetadata))
        {
            return Metadata;
        }

        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    public void Dispose()
    {
    }

    /// <summary>
    /// Fits IDF on <paramref name="texts"/> (the whole corpus), makes it the embedder's IDF and returns their vectors
    /// under it, extracting each text's features once.
    /// </summary>
    public float[][] Refit(IReadOnlyList<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var features = new (int[] Ids, int[] Counts)[texts.Count];
        var idf = new IdfModel();
        for (var i = 0; i < texts.Count; i++)
        {
            var counts = FeatureExtractor.Extract(texts[i]);
            var ids = counts.Ids.ToArray();
            features[i] = (ids, [.. ids.Select(counts.Count)]);
            idf.Add(ids);
        }

        _idf = idf;
        var weights = idf.Weights();
        return [.. features.Select(f => Project(f.Ids, f.Counts, weights))];
    }

    private float[] Embed(string text, IdfModel idf)
    {
        var counts = FeatureExtractor.Extract(text);
        var ids = counts.Ids.ToArray();
        return Project(ids, [.. ids.Select(counts.Count)], idf.Weights());
    }

    private float[] Project(int[] ids, int[] counts, float[] weights)
    {
        Span<float> groups = stackalloc float[FeatureExtractor.GroupCount * Dimension];
        groups.Clear();
        for (var i = 0; i < ids.Length; i++)
        {
            var id = ids[i];
            var weight = (1f + MathF.Log(counts[i])) * weights[id];
            var projection = FeatureExtractor.Mix((ulong)id + 1);
            var bucket = (int)((projection >> 1) % (ulong)Dimension);
            groups[(FeatureExtractor.Group(id) * Dimension) + bucket] += (projection & 1) == 0 ? weight : -weight;
        }

        var vector = new float[Dimension];
        for (var g = 0; g < FeatureExtractor.GroupCount; g++)
        {
            var group = groups.Slice(g * Dimension, Dimension);
            var norm = TensorPrimitives.Norm(group);
            if (norm > 0)
            {
                TensorPrimitives.MultiplyAdd(group, GroupWeights[g] / norm, vector, vector);
            }
        }

        var total = TensorPrimitives.Norm(vector);
        if (total > 0)
        {
            TensorPrimitives.Divide(vector, total, vector);
        }

        return vector;
    }
}
