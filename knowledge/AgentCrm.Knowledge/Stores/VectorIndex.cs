using System.Numerics.Tensors;

namespace AgentCrm.Knowledge.Stores;

/// <summary>
/// An immutable snapshot of every record with its vector in one contiguous row-major matrix. Writers build a new
/// snapshot and swap it in, so a search always sees one consistent state.
/// </summary>
internal sealed class VectorIndex
{
    public static readonly VectorIndex Empty = new(0, [], []);

    /// <summary>Below this many rows an exact float scan is cheap enough; above it an int8 first pass saves bandwidth.</summary>
    public const int QuantizeAbove = 20_000;

    private const int MinCandidates = 100;

    private readonly QuantizedRows? _quantized;

    public VectorIndex(int dimension, KnowledgeRecord[] records, float[] matrix)
    {
        Dimension = dimension;
        Records = records;
        Matrix = matrix;
        _quantized = records.Length > QuantizeAbove ? new QuantizedRows(matrix, records.Length, dimension) : null;
    }

    public int Dimension { get; }

    public KnowledgeRecord[] Records { get; }

    public float[] Matrix { get; }

    public static VectorIndex Build(int dimension, IReadOnlyList<KnowledgeRecord> records)
    {
        var matrix = GC.AllocateUninitializedArray<float>(records.Count * dimension);
        for (var i = 0; i < records.Count; i++)
        {
            records[i].Vector.AsSpan().CopyTo(matrix.AsSpan(i * dimension, dimension));
        }

        return new VectorIndex(dimension, [.. records], matrix);
    }

    public VectorIndex Replace(string documentId, IReadOnlyList<KnowledgeRecord> added, int dimension)
    {
        var kept = Records.Where(r => r.DocumentId != documentId).ToList();
        kept.AddRange(added);
        return Build(dimension, kept);
    }

    /// <summary>Top <paramref name="k"/> rows by dot product (cosine for unit vectors), best first.</summary>
    public List<(int Row, float Score)> Search(ReadOnlySpan<float> query, int k, Func<KnowledgeRecord, bool>? filter, float threshold)
    {
        if (_quantized is null)
        {
            return ExactSearch(query, k, filter, threshold);
        }

        // First pass over int8 rows, then exact float scores for the candidates.
        var candidates = new PriorityQueue<int, float>();
        var records = Records;
        _quantized.Candidates(query, Math.Max(MinCandidates, k * 10), filter is null ? null : row => filter(records[row]), candidates);
        var exact = new List<(int Row, float Score)>(candidates.Count);
        while (candidates.TryDequeue(out var row, out _))
        {
            var score = TensorPrimitives.Dot(Matrix.AsSpan(row * Dimension, Dimension), query);
            if (score >= threshold)
            {
                exact.Add((row, score));
            }
        }

        return [.. exact.OrderByDescending(e => e.Score).ThenBy(e => e.Row).Take(k)];
    }

    internal List<(int Row, float Score)> ExactSearch(ReadOnlySpan<float> query, int k, Func<KnowledgeRecord, bool>? filter, float threshold)
    {
        var heap = new PriorityQueue<int, float>(k + 1);
        var floor = threshold;
        var matrix = Matrix.AsSpan();
        var dimension = Dimension;
        for (var row = 0; row < Records.Length; row++)
        {
            var score = TensorPrimitives.Dot(matrix.Slice(row * dimension, dimension), query);
            if (score < floor || (filter is not null && !filter(Records[row])))
            {
                continue;
            }

            heap.Enqueue(row, score);
            if (heap.Count > k)
            {
                heap.Dequeue();
                heap.TryPeek(out _, out var lowest);
                floor = Math.Max(floor, lowest);
            }
        }

        var results = new List<(int Row, float Score)>(heap.Count);
        while (heap.TryDequeue(out var row, out var score))
        {
            results.Add((row, score));
        }

        results.Reverse();
        return results;
    }
}
