using AgentCrm.Knowledge.Tests.Qdrant;

namespace AgentCrm.Runtime.Tests.Cli;

/// <summary>The CLI verbs on a data directory whose knowledge lives in Qdrant (Knowledge:Provider = Qdrant), as the server's does.</summary>
public sealed class QdrantCliTests
{
    [Fact]
    public async Task Verbs_WithKnowledgeInQdrant_UseQdrant_LikeTheServer()
    {
        // Only the server registered the Qdrant store: every verb, keys create included, failed with
        // "Knowledge:Provider is Qdrant but no Qdrant store is registered; … (InvalidOperationException)".
        await using var qdrant = await FakeQdrantServer.StartAsync();
        var dir = TempDirectory.Create();
        var environment = new Dictionary<string, string>
        {
            ["Storage__DataDirectory"] = dir,
            ["Knowledge__Provider"] = "Qdrant",
            ["Knowledge__Qdrant__Url"] = qdrant.Url,
        };
        var docs = Directory.CreateDirectory(Path.Combine(dir, "docs")).FullName;
        await File.WriteAllTextAsync(Path.Combine(docs, "zebra-care.md"), "# Zebra care\n\nZebras need quarterly hoof trimming by a farrier.\n");

        var created = await CliRunner.RunAsync(["keys", "create", "--role", "admin", "--name", "a"], environment);
        Assert.True(created.ExitCode == 0, created.Stderr);
        var ingested = await CliRunner.RunAsync(["knowledge", "ingest", docs], environment);
        Assert.True(ingested.ExitCode == 0, ingested.Stderr);
        var found = await CliRunner.RunAsync(["knowledge", "search", "zebra hoof trimming", "--json"], environment);
        Assert.True(found.ExitCode == 0, found.Stderr);

        Assert.Contains("zebra-care", found.Stdout, StringComparison.Ordinal);
        Assert.Contains(qdrant.Requests, r => r.StartsWith("PUT /collections/", StringComparison.Ordinal) && r.Contains("/points", StringComparison.Ordinal));
        Assert.False(File.Exists(Path.Combine(dir, "knowledge.db")), "the CLI wrote an embedded knowledge store beside a server that uses Qdrant");
    }

    [Fact]
    public async Task KeysCreate_OnANewDirectory_WhileQdrantIsDown_Works_TheKnowledgeVerbsSaySo()
    {
        // Only the knowledge verbs touch the knowledge store: a first key is made without it (the server's start ingests
        // the bundled documents). Before, every verb ingested them first and failed while Qdrant was away.
        var environment = new Dictionary<string, string>
        {
            ["Storage__DataDirectory"] = TempDirectory.Create(),
            ["Knowledge__Provider"] = "Qdrant",
            ["Knowledge__Qdrant__Url"] = $"http://127.0.0.1:{Server.ServeProcess.FreePort()}",
        };

        var created = await CliRunner.RunAsync(["keys", "create", "--role", "admin", "--name", "a"], environment);
        var searched = await CliRunner.RunAsync(["knowledge", "search", "renewal"], environment);

        Assert.True(created.ExitCode == 0, created.Stderr);
        Assert.StartsWith("acrm_", created.Stdout.Trim(), StringComparison.Ordinal);
        Assert.Equal(1, searched.ExitCode);
        Assert.Single(searched.Stderr.Trim().Split('\n'));
        Assert.Contains("Qdrant", searched.Stderr, StringComparison.Ordinal);
    }
}
