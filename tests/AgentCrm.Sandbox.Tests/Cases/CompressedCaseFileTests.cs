using System.IO.Compression;
using System.Text;
using AgentCrm.Sandbox.Cases;

namespace AgentCrm.Sandbox.Tests.Cases;

/// <summary>A compressed case file is named for what it is, not reported as text with an invalid byte.</summary>
public sealed class CompressedCaseFileTests
{
    private const string Events = """{"id":"e1","customerId":"a","type":"usage","occurredAt":"2026-01-01T00:00:00Z","attributes":{"quantity":3}}""";
    private const string Labels = "customerId,cutoff,label\na,2026-06-01,1\n";

    private static MemoryStream Gzip(string text)
    {
        var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
            gzip.Write(Encoding.UTF8.GetBytes(text));
        output.Position = 0;
        return output;
    }

    [Fact]
    public void LoadTimeline_GzipEvents_SaysItIsGzipCompressed()
    {
        var ex = Assert.Throws<CaseSetException>(() => CaseSetLoader.LoadTimeline(Gzip(Events), "events.ndjson.gz", SampleData.Stream(Labels), "labels.csv", "t"));

        Assert.Equal("events.ndjson.gz: the file is gzip-compressed, not text; decompress it first (gunzip) and send the plain file.", ex.Message);
    }

    [Fact]
    public void LoadTimeline_GzipLabels_SaysItIsGzipCompressed()
    {
        var ex = Assert.Throws<CaseSetException>(() => CaseSetLoader.LoadTimeline(SampleData.Stream(Events), "events.ndjson", Gzip(Labels), "labels.csv", "t"));

        Assert.StartsWith("labels.csv: the file is gzip-compressed", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadTabular_ZipCsv_SaysItIsAZipArchive()
    {
        var zip = new MemoryStream();
        using (var archive = new ZipArchive(zip, ZipArchiveMode.Create, leaveOpen: true))
        using (var entry = archive.CreateEntry("cases.csv").Open())
            entry.Write(Encoding.UTF8.GetBytes("id,label\n1,yes\n"));
        zip.Position = 0;

        var ex = Assert.Throws<CaseSetException>(() => CaseSetLoader.LoadTabular(zip, "cases.zip", File.OpenRead(SampleData.TelcoMapping), "telco-churn.yaml"));

        Assert.StartsWith("cases.zip: the file is a zip archive, not text", ex.Message, StringComparison.Ordinal);
    }
}
