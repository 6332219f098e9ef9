using System.Net;
using Microsoft.Data.Sqlite;

namespace AgentCrm.Runtime.Tests.Knowledge;

/// <summary>
/// The bundled documents' first ingest: finished on the next start when a failure interrupted it (a disk that filled after
/// some were stored used to leave the rest out for good), and never repeated once done, so a document ops deleted stays deleted.
/// </summary>
public sealed class BundledKnowledgeTests
{
    private static readonly Dictionary<string, string?> Bundled = new() { ["Knowledge:IngestBundled"] = "true" };

    private static async Task<List<string>> DocumentIdsAsync(AgentCrmApp app) =>
        (await app.GetJsonAsync("/v1/knowledge/documents?limit=500")).GetProperty("items").EnumerateArray().Select(d => d.GetProperty("id").GetString()!).Order().ToList();

    /// <summary>Sets (or, with null, removes) the catalog's marker of the first ingest, as an interrupted start or an older build left it.</summary>
    private static void SetMarker(string dataDirectory, string? value)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(dataDirectory, "knowledge-catalog.db")};Pooling=false");
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = value is null ? "DELETE FROM meta WHERE key = $k" : "INSERT OR REPLACE INTO meta (key, value) VALUES ($k, $v)";
        cmd.Parameters.AddWithValue("$k", "marker:" + AgentCrm.Knowledge.BundledKnowledge.Marker);
        if (value is not null)
            cmd.Parameters.AddWithValue("$v", System.Text.Encoding.UTF8.GetBytes(value));
        cmd.ExecuteNonQuery();
    }

    private static async Task DeleteAsync(AgentCrmApp app, string id)
    {
        using var deleted = await app.Client.DeleteAsync($"/v1/knowledge/documents/{id}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
    }

    [Fact]
    public async Task AFirstIngestThatWasInterrupted_IsFinishedOnTheNextStart_ButADeletionAfterItIsKept()
    {
        var data = TempDirectory.Create();
        List<string> all;
        await using (var first = await AgentCrmApp.StartAsync(data, Bundled))
        {
            all = await DocumentIdsAsync(first);
            Assert.Contains("renewal-playbook", all);
            Assert.Contains("tender-playbook", all);
            // As a disk that filled after the others were stored left it: two documents missing, the ingest only started.
            await DeleteAsync(first, "renewal-playbook");
            await DeleteAsync(first, "tender-playbook");
        }
        SetMarker(data, "started");

        await using (var second = await AgentCrmApp.StartAsync(data, Bundled))
        {
            Assert.Equal(all, await DocumentIdsAsync(second));
            // Done now: ops deleting a bundled document is not undone by the next start.
            await DeleteAsync(second, "tender-playbook");
        }
        await using var third = await AgentCrmApp.StartAsync(data, Bundled);
        Assert.Equal(all.Where(id => id != "tender-playbook"), await DocumentIdsAsync(third));
    }

    [Fact]
    public async Task AFirstStartWhoseKnowledgeStoreCannotBeWritten_SaysTheNextStartFinishes_NotToRunAnIngest()
    {
        // Qdrant configured but not listening: nothing a user ran was an ingest, so "run the same ingest again" misled.
        var ex = await Assert.ThrowsAsync<AgentCrm.Knowledge.Ingest.KnowledgeIngestIncompleteException>(() => AgentCrmApp.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Knowledge:IngestBundled"] = "true",
            ["Knowledge:Provider"] = "Qdrant",
            ["Knowledge:Qdrant:Url"] = "http://127.0.0.1:9",
        }));
        Assert.StartsWith("storing the bundled knowledge documents failed (", ex.Message, StringComparison.Ordinal);
        Assert.Contains("the next start (or knowledge command) stores the rest", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("ingest again", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ALibraryFromBeforeTheMarker_IsTakenAsIngested_ItsDeletionsKept()
    {
        var data = TempDirectory.Create();
        List<string> all;
        await using (var first = await AgentCrmApp.StartAsync(data, Bundled))
        {
            all = await DocumentIdsAsync(first);
            await DeleteAsync(first, "renewal-playbook");
        }
        SetMarker(data, null);

        await using var second = await AgentCrmApp.StartAsync(data, Bundled);
        Assert.Equal(all.Where(id => id != "renewal-playbook"), await DocumentIdsAsync(second));
    }
}
