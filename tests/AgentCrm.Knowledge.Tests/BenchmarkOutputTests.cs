using System.Diagnostics;
using AgentCrm.Knowledge.Benchmarks;
using AgentCrm.Knowledge.Ingest;
using Xunit.Abstractions;

namespace AgentCrm.Knowledge.Tests;

/// <summary>Prints the performance figures; asserts only that they were produced (speed depends on the machine).</summary>
[Collection(nameof(BenchmarkCollection))]
public sealed class BenchmarkOutputTests(ITestOutputHelper output)
{
    [Fact]
    public void Scan_100kVectors_PrintsLatencyAndBandwidth()
    {
        var result = KnowledgeBenchmarks.Scan();

        output.WriteLine($"top-10 over {result.Vectors:N0} x {result.Dimension} (int8 pass + exact re-score): p50 {result.P50Milliseconds:F2} ms, p95 {result.P95Milliseconds:F2} ms, {result.ScanGigabytesPerSecond:F1} GB/s of int8 rows; same top-10 as exact: {result.RecallAgainstExact:P1}");
        output.WriteLine($"exact float scan: p50 {result.ExactP50Milliseconds:F2} ms, p95 {result.ExactP95Milliseconds:F2} ms, {result.ExactScanGigabytesPerSecond:F1} GB/s; plain read of the float matrix {result.MemoryReadGigabytesPerSecond:F1} GB/s");
        Assert.True(result.P95Milliseconds > 0);
    }

    [Fact]
    public async Task IngestAsync_GdprText_PrintsChunksPerSecond()
    {
        var text = await File.ReadAllTextAsync(TestData.Bundled("gdpr_regulation_eu_2016_679_en.md"));
        var rates = new List<double>();
        for (var run = 0; run < 4; run++)
        {
            using var data = new TestData();
            using var service = data.CreateService(out var store);
            using var _ = store;
            var started = Stopwatch.GetTimestamp();
            var result = await service.IngestAsync(text, DocumentType.Markdown, "gdpr");
            var elapsed = Stopwatch.GetElapsedTime(started);
            rates.Add(result.Chunks / elapsed.TotalSeconds);
            output.WriteLine($"run {run}: {result.Chunks} chunks + {result.DistilledUnits} distilled in {elapsed.TotalMilliseconds:F0} ms = {rates[^1]:F0} chunks/s");
        }

        Assert.All(rates, r => Assert.True(r > 0));
    }
}

/// <summary>Benchmarks run alone, not beside other test classes.</summary>
[CollectionDefinition(nameof(BenchmarkCollection), DisableParallelization = true)]
public sealed class BenchmarkCollection;
