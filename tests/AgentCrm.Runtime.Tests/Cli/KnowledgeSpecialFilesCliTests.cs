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
}
