using System.Numerics.Tensors;
using Microsoft.Extensions.AI;

namespace AgentCrm.Knowledge.Embeddings;

/// <summary>
/// A deterministic, offline embedder: hashed word, bigram and character n-gram features, sub-linear TF × IDF,
/// signed feature hashing into <see cref="Dimension"/> buckets, each feature group L2-normalised and weighted, then
/// the whole vector L2-normalised. IDF comes from <see cref="Idf"/>, fitted by <see cref="Refit(IReadOnlyList{string})"/> over the whole corpus
/// (the knowledge service refits and re-embeds when the corpus has drifted), so queries and records share one IDF.
/// </summary>
public sealed class LocalEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    public const int DefaultDimension = 384;
    public const string ModelId = "agentcrm-local-hashed-ngrams-v1";

    private static readonly float[] GroupWeights = [1.0f, 0.6f, 0.8f];

    // Below this many texts a batch is embedded on the calling thread: queries and small documents gain nothing.
    private const int ParallelBatch = 32;

    private volatile IdfModel _idf;
    private int _maxParallelism = Environment.ProcessorCount;

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

    /// <summary>
    /// Threads a large batch (<see cref="GenerateAsync"/>, <see cref="Refit(IReadOnlyList{string})"/>) may be spread over. Every vector depends
    /// only on its own text and the IDF, so the result is the same for any value; 1 = on the calling thread.
    /// </summary>
    public int MaxParallelism
    {
        get => _maxParallelism;
        set => _maxParallelism = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "At least 1.");
    }

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var vectors = EmbedAll([.. values], null, cancellationToken);
        var result = new GeneratedEmbeddings<Embedding<float>>(vectors.Length);
        foreach (var vector in vectors)
        {
            result.Add(new Embedding<float>(vector) { ModelId = ModelId });
        }

        return Task.FromResult(result);
    }

    /// <summary>
    /// Embeds <paramref name="texts"/> under the current IDF; with <paramref name="words"/> (same length) each text's
    /// scanned words are stored there as well, from the same single pass.
    /// </summary>
    internal float[][] EmbedAll(IReadOnlyList<string> texts, List<string>[]? words, CancellationToken cancellationToken = default)
    {
        var weights = _idf.Weights();
        var vectors = new float[texts.Count][];
        ForEach(texts.Count, cancellationToken, i =>
        {
            var list = words is null ? null : words[i] = [];
            var counts = FeatureExtractor.Extract(texts[i], list);
            var ids = counts.Ids.ToArray();
            vectors[i] = Project(ids, [.. ids.Select(counts.Count)], weights);
        });
        return vectors;
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
    public float[][] Refit(IReadOnlyList<string> texts) => Refit(texts, null);

    /// <summary><see cref="Refit(IReadOnlyList{string})"/>, also keeping each text's scanned words in <paramref name="words"/> when given.</summary>
    internal float[][] Refit(IReadOnlyList<string> texts, List<string>[]? words)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var features = new (int[] Ids, int[] Counts)[texts.Count];
        ForEach(texts.Count, default, i =>
        {
            var list = words is null ? null : words[i] = [];
            var counts = FeatureExtractor.Extract(texts[i], list);
            var ids = counts.Ids.ToArray();
            features[i] = (ids, [.. ids.Select(counts.Count)]);
        });

        // Document frequencies are sums, so the order units are counted in does not matter.
        var idf = new IdfModel();
        foreach (var (ids, _) in features)
        {
            idf.Add(ids);
        }

        _idf = idf;
        var weights = idf.Weights();
        var vectors = new float[texts.Count][];
        ForEach(texts.Count, default, i => vectors[i] = Project(features[i].Ids, features[i].Counts, weights));
        return vectors;
    }

    /// <summary>Runs <paramref name="body"/> for 0..count-1, spread over up to <see cref="MaxParallelism"/> threads for large batches.</summary>
    private void ForEach(int count, CancellationToken cancellationToken, Action<int> body)
    {
        if (_maxParallelism == 1 || count < ParallelBatch)
        {
            for (var i = 0; i < count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                body(i);
            }

            return;
        }

        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = _maxParallelism, CancellationToken = cancellationToken }, body);
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
