using AgentCrm.Knowledge.Benchmarks;
using Xunit.Abstractions;

namespace AgentCrm.Knowledge.Tests;

/// <summary>
/// The search benchmark's claim that the int8 first pass plus exact re-score returns the exact top-10.
/// Its timings are printed for reading, never asserted: speed is reported by `bench --knowledge`.
/// </summary>
[Collection(nameof(BenchmarkCollection))]
public sealed class BenchmarkOutputTests(ITestOutputHelper output)
{
    [Fact]
    public void Scan_100kVectors_Int8PassWithExactRescore_ReturnsTheExactTop10()
    {
        var result = KnowledgeBenchmarks.Scan();

        output.WriteLine($"top-10 over {result.Vectors:N0} x {result.Dimension} (int8 pass + exact re-score): p50 {result.P50Milliseconds:F2} ms, p95 {result.P95Milliseconds:F2} ms; same top-10 as exact: {result.RecallAgainstExact:P1}");
        Assert.Equal(100_000, result.Vectors);
        Assert.Equal(1.0, result.RecallAgainstExact);
    }
}

/// <summary>Benchmarks run alone, not beside other test classes.</summary>
[CollectionDefinition(nameof(BenchmarkCollection), DisableParallelization = true)]
public sealed class BenchmarkCollection;
