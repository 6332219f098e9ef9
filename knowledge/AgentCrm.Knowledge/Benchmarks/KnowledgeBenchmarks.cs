using System.Diagnostics;
using System.Numerics.Tensors;
using AgentCrm.Knowledge.Stores;

namespace AgentCrm.Knowledge.Benchmarks;

/// <summary>
/// Search latency (int8 first pass + exact re-score, the default above <see cref="Stores.VectorIndex.QuantizeAbove"/>
/// rows) and the exact float scan, each with its achieved bandwidth, next to a plain read of the float matrix, and the
/// share of the exact top-10 the default search returns.
/// </summary>
public sealed record ScanBenchmarkResult(
    int Vectors, int Dimension, int Queries,
    double P50Milliseconds, double P95Milliseconds, double ScanGigabytesPerSecond,
    double ExactP50Milliseconds, double ExactP95Milliseconds, double ExactScanGigabytesPerSecond,
    double MemoryReadGigabytesPerSecond, double RecallAgainstExact);

/// <summary>Benchmarks for the knowledge area (called by a CLI verb or a test that prints them; never timed assertions).</summary>
public static class KnowledgeBenchmarks
{
    /// <summary>
    /// Top-10 search over <paramref name="vectors"/> random unit vectors on the calling thread, next to a plain read of
    /// the same matrix (TensorPrimitives.Sum) in the same run: how close the scan gets to the machine's read bandwidth.
    /// </summary>
    public static ScanBenchmarkResult Scan(int vectors = 100_000, int dimension = 384, int queries = 200, int seed = 42)
    {
        var random = new Random(seed);
        var records = new KnowledgeRecord[vectors];
        var matrix = GC.AllocateUninitializedArray<float>(vectors * dimension);
        for (var i = 0; i < vectors; i++)
        {
            var row = matrix.AsSpan(i * dimension, dimension);
            RandomUnit(random, row);
            records[i] = new KnowledgeRecord($"b#{i}", "bench", "bench", "bench", "chunk", string.Empty, [], null, "en", []);
        }

        var index = new VectorIndex(dimension, records, matrix);
        var query = new float[dimension];
        var bytes = (double)matrix.Length * sizeof(float);

        // Warm up both loops so tiered JIT has settled.
        for (var i = 0; i < 5; i++)
        {
            RandomUnit(random, query);
            index.Search(query, 10, null, float.NegativeInfinity);
            TensorPrimitives.Sum(matrix);
        }

        var times = new double[queries];
        var exactTimes = new double[queries];
        var agree = 0;
        for (var q = 0; q < queries; q++)
        {
            RandomUnit(random, query);
            var started = Stopwatch.GetTimestamp();
            var hits = index.Search(query, 10, null, float.NegativeInfinity);
            times[q] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            started = Stopwatch.GetTimestamp();
            var exact = index.ExactSearch(query, 10, null, float.NegativeInfinity);
            exactTimes[q] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            agree += hits.Select(h => h.Row).Intersect(exact.Select(e => e.Row)).Count();
        }

        var readTimes = new double[Math.Max(10, queries / 10)];
        var sink = 0f;
        for (var r = 0; r < readTimes.Length; r++)
        {
            var started = Stopwatch.GetTimestamp();
            sink += TensorPrimitives.Sum(matrix);
            readTimes[r] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }

        GC.KeepAlive(sink);
        Array.Sort(times);
        Array.Sort(exactTimes);
        Array.Sort(readTimes);
        var quantizedBytes = (double)vectors * ((dimension + 31) / 32 * 32 + sizeof(float));
        return new ScanBenchmarkResult(
            vectors, dimension, queries,
            Percentile(times, 0.50), Percentile(times, 0.95),
            quantizedBytes / (Percentile(times, 0.50) / 1000) / 1e9,
            Percentile(exactTimes, 0.50), Percentile(exactTimes, 0.95),
            bytes / (Percentile(exactTimes, 0.50) / 1000) / 1e9,
            bytes / (Percentile(readTimes, 0.50) / 1000) / 1e9,
            agree / (10.0 * queries));
    }

    private static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    private static void RandomUnit(Random random, Span<float> vector)
    {
        for (var i = 0; i < vector.Length; i++)
        {
            vector[i] = (float)((random.NextDouble() * 2) - 1);
        }

        TensorPrimitives.Divide(vector, TensorPrimitives.Norm(vector), vector);
    }
}
