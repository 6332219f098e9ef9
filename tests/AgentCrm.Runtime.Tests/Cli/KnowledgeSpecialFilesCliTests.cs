using System.Diagnostics;
using System.Text.Json;

namespace AgentCrm.Runtime.Tests.Cli;

/// <summary>
/// `knowledge ingest FOLDER` lists a named pipe (or socket, device) in the folder as skipped and goes on (fix31c: the ingest
/// waited on the pipe for a writer, silently, for ever).
/// </summary>
public sealed class KnowledgeSpecialFilesCliTests
{
    internal static void MakeFifo(string path)
    {
        using var mkfifo = Process.Start("mkfifo", [path]);
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);
    }

    [Fact]
    public async Task Ingest_AFolderHoldingANamedPipe_SkipsItSayingWhy_AndIngestsTheRest()
    {
        var dir = TempDirectory.Create();
        var docs = Directory.CreateDirectory(Path.Combine(dir, "docs")).FullName;
        await File.WriteAllTextAsync(Path.Combine(docs, "a.md"), "# Zebra care\n\nZebras need quarterly hoof trimming.\n");
        var pipe = Path.Combine(docs, "pipe.md");
        MakeFifo(pipe);
        var quiet = new Dictionary<string, string> { ["Knowledge__IngestBundled"] = "false" };

        var json = await CliRunner.RunAsync(["knowledge", "ingest", docs, "--data", dir, "--json"], quiet, TimeSpan.FromSeconds(45));
        var human = await CliRunner.RunAsync(["knowledge", "ingest", docs, "--data", dir], quiet, TimeSpan.FromSeconds(45));
        var named = await CliRunner.RunAsync(["knowledge", "ingest", pipe, "--data", dir], quiet, TimeSpan.FromSeconds(45));

        Assert.True(json.ExitCode == 0, json.Stderr);
        var output = JsonDocument.Parse(json.Stdout).RootElement;
        Assert.Equal(["a"], output.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("documentId").GetString()));
        var skipped = Assert.Single(output.GetProperty("skipped").EnumerateArray());
        Assert.Equal((pipe, "a named pipe (FIFO), not a regular file"), (skipped.GetProperty("path").GetString(), skipped.GetProperty("reason").GetString()));
        Assert.Contains($"skipped {pipe}: a named pipe (FIFO), not a regular file", human.Stdout, StringComparison.Ordinal);
        Assert.Equal((1, $"agentcrm: {pipe}: a named pipe (FIFO), not a regular file. Nothing was ingested."), (named.ExitCode, named.Stderr.Trim()));
    }

    /// <summary>
    /// qa41b #2: a file past Knowledge:MaxDocumentBytes was read whole before it was refused (1.5 GB of memory for a 1.5 GB
    /// file), and one past 2 GB failed in .NET's words, naming no file and not saying nothing was ingested. Its size is checked
    /// first (a sparse 3 GB file: nothing is read), a linked file's by its target (rev41 #3: the link's own size was taken).
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Ingest_AFolderHoldingAFilePastTheLimit_RefusesNamingItAndItsSize_BeforeReadingIt(bool linked)
    {
        var dir = TempDirectory.Create();
        var docs = Directory.CreateDirectory(Path.Combine(dir, "docs")).FullName;
        await File.WriteAllTextAsync(Path.Combine(docs, "a.md"), "# Zebra care\n\nZebras need quarterly hoof trimming.\n");
        var named = Path.Combine(docs, "m.md");
        var huge = linked ? Path.Combine(dir, "huge.md") : named;
        using (var file = new FileStream(huge, FileMode.CreateNew))
            file.SetLength(3L << 30);
        if (linked)
            File.CreateSymbolicLink(named, huge);
        var quiet = new Dictionary<string, string> { ["Knowledge__IngestBundled"] = "false" };
        Assert.Equal(0, (await CliRunner.RunAsync(["knowledge", "search", "zebras", "--data", dir], quiet)).ExitCode);

        var result = await CliRunner.RunAsync(["knowledge", "ingest", docs, "--data", dir], quiet, TimeSpan.FromSeconds(45));

        Assert.Equal((1, $"agentcrm: {named}: The document is {3L << 30:N0} bytes; the limit is {5L << 20:N0} (Knowledge:MaxDocumentBytes). Nothing was ingested."),
            (result.ExitCode, result.Stderr.Trim()));
        // Not even the good file beside it: all or nothing.
        var search = await CliRunner.RunAsync(["knowledge", "search", "zebras hoof trimming", "--data", dir, "--json"], quiet);
        Assert.True(search.ExitCode == 0, search.Stderr);
        Assert.DoesNotContain("Zebra", search.Stdout, StringComparison.Ordinal);
    }

    /// <summary>
    /// rev41b #2: under a Knowledge:MaxDocumentBytes past 2 GB (any positive value is taken), a 3 GB file ended the verb with
    /// "Arithmetic operation resulted in an overflow", naming no file.
    /// </summary>
    [Fact]
    public async Task Ingest_AFilePast2GB_UnderALimitAboveIt_IsRefusedNamingIt()
    {
        var dir = TempDirectory.Create();
        var huge = Path.Combine(dir, "m.md");
        using (var file = new FileStream(huge, FileMode.CreateNew))
            file.SetLength(3L << 30);
        var env = new Dictionary<string, string> { ["Knowledge__IngestBundled"] = "false", ["Knowledge__MaxDocumentBytes"] = "4000000000" };

        var result = await CliRunner.RunAsync(["knowledge", "ingest", huge, "--data", dir], env, TimeSpan.FromSeconds(45));

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith($"agentcrm: {huge}: The document is {3L << 30:N0} bytes; at most {Array.MaxLength:N0} can be read at once. Nothing was ingested.",
            result.Stderr.Trim(), StringComparison.Ordinal);
    }
}
