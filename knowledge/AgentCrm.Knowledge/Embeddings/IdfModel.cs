namespace AgentCrm.Knowledge.Embeddings;

/// <summary>
/// Document frequencies of hashed features over the indexed units, fitted by
/// <see cref="LocalEmbeddingGenerator.Refit(IReadOnlyList{string})"/> and frozen until the next refit (see <see cref="IdfState"/>).
/// </summary>
public sealed class IdfModel
{
    private readonly int[] _documentFrequency;
    private float[]? _weights;

    public IdfModel()
        : this(0, new int[FeatureExtractor.FeatureSpace])
    {
    }

    private IdfModel(int documentCount, int[] documentFrequency)
    {
        DocumentCount = documentCount;
        _documentFrequency = documentFrequency;
    }

    public int DocumentCount { get; private set; }

    /// <summary>Smoothed IDF per feature id (ln((N+1)/(df+1)) + 1); unseen features get the highest weight.</summary>
    internal float[] Weights()
    {
        if (_weights is { } weights)
        {
            return weights;
        }

        weights = new float[_documentFrequency.Length];
        var n = DocumentCount + 1.0;
        for (var i = 0; i < weights.Length; i++)
        {
            weights[i] = (float)(Math.Log(n / (_documentFrequency[i] + 1.0)) + 1.0);
        }

        return _weights = weights;
    }

    /// <summary>Sparse form: the count, then (id, df) for every non-zero entry.</summary>
    public byte[] Serialize()
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream))
        {
            writer.Write(DocumentCount);
            for (var i = 0; i < _documentFrequency.Length; i++)
            {
                if (_documentFrequency[i] != 0)
                {
                    writer.Write(i);
                    writer.Write(_documentFrequency[i]);
                }
            }
        }

        return stream.ToArray();
    }

    public static IdfModel Deserialize(byte[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        using var reader = new BinaryReader(new MemoryStream(data));
        var model = new IdfModel { DocumentCount = reader.ReadInt32() };
        while (reader.BaseStream.Position < reader.BaseStream.Length)
        {
            var id = reader.ReadInt32();
            model._documentFrequency[id] = reader.ReadInt32();
        }

        return model;
    }

    /// <summary>Counts one more unit containing these (distinct) features.</summary>
    internal void Add(ReadOnlySpan<int> distinctIds)
    {
        DocumentCount++;
        foreach (var id in distinctIds)
        {
            _documentFrequency[id]++;
        }

        _weights = null;
    }
}
