using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace AgentCrm.Runtime.Tests.Cli;

/// <summary>
/// `agentcrm knowledge ingest` when agentcrm.db cannot be written (its audit log): as an upload over HTTP, the document whose
/// audit record cannot be appended is not kept — its change is undone — and the one line says so (qa36a #3: it was stored,
/// unaudited, and the error did not say so). Run as a user for whom the file's mode holds (nobody, when the tests run as root).
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class KnowledgeIngestAuditFailureCliTests
{
    private static async Task<bool> FoundAsync(string dir, string query, string documentId)
    {
        var search = await CliRunner.RunAsync(["knowledge", "search", query, "--k", "50", "--data", dir, "--json"]);
        Assert.True(search.ExitCode == 0, search.Stderr);
        return JsonDocument.Parse(search.Stdout).RootElement.GetProperty("items").EnumerateArray().Any(h => h.GetProperty("documentId").GetString() == documentId);
    }

    private static int Records(string dir, string subject)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(dir, "agentcrm.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT count(*) FROM audit WHERE subject = $s";
        cmd.Parameters.AddWithValue("$s", subject);
        return Convert.ToInt32(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Everything in the data directory writable by anyone, but agentcrm.db (<paramref name="writable"/> false).</summary>
    private static void SetModes(string dir, bool writable)
    {
        const UnixFileMode all = (UnixFileMode)0b110_110_110;
        File.SetUnixFileMode(dir, (UnixFileMode)0b111_111_111);
        foreach (var sub in Directory.GetDirectories(dir, "*", SearchOption.AllDirectories))
            File.SetUnixFileMode(sub, (UnixFileMode)0b111_111_111);
        foreach (var file in Directory.GetFiles(dir, "*", SearchOption.AllDirectories))
            File.SetUnixFileMode(file, all);
        if (!writable)
            File.SetUnixFileMode(Path.Combine(dir, "agentcrm.db"), (UnixFileMode)0b100_100_100);
    }

    [Fact]
    public async Task Ingest_WhenTheAuditLogCannotBeWritten_UndoesTheDocument_AndSaysSoInOneLine_ThenTheSameIngestFinishes()
    {
        var dir = TempDirectory.Create();
        var docs = Directory.CreateDirectory(Path.Combine(TempDirectory.Create(), "docs")).FullName;
        await File.WriteAllTextAsync(Path.Combine(docs, "seed.md"), "# Seed\n\nA first document.\n");
        var seeded = await CliRunner.RunAsync(["knowledge", "ingest", Path.Combine(docs, "seed.md"), "--data", dir]);
        Assert.True(seeded.ExitCode == 0, seeded.Stderr);
        var gamma = Path.Combine(docs, "gamma.md");
        await File.WriteAllTextAsync(gamma, "# Gamma\n\nGamma accounts renew in September with a zebra discount.\n");
        File.SetUnixFileMode(Path.GetDirectoryName(docs)!, (UnixFileMode)0b111_101_101);
        File.SetUnixFileMode(docs, (UnixFileMode)0b111_101_101);
        File.SetUnixFileMode(gamma, (UnixFileMode)0b110_100_100);
        SetModes(dir, writable: false);

        var (exit, stdout, stderr) = await BackupFailureCliTests.RunUnprivilegedAsync(["knowledge", "ingest", gamma, "--data", dir]);

        SetModes(dir, writable: true);
        Assert.True(exit == 1, $"exit {exit}: {stderr}");
        Assert.Equal("", stdout);
        var line = Assert.Single(stderr.Trim().Split('\n'));
        Assert.StartsWith($"agentcrm: {gamma}: its audit record could not be written (", line, StringComparison.Ordinal);
        Assert.True(line.Contains("/agentcrm.db", StringComparison.Ordinal) && line.Contains("read-only for this user (SQLite Error 8", StringComparison.Ordinal), line);
        Assert.Contains("so its change was undone; 0 of 1 documents were stored", line, StringComparison.Ordinal);
        Assert.False(await FoundAsync(dir, "gamma zebra discount", "gamma"), "the document whose record failed is not kept");
        Assert.Equal(0, Records(dir, "knowledge:gamma"));

        // Once agentcrm.db can be written, the same ingest stores and records it.
        var again = await CliRunner.RunAsync(["knowledge", "ingest", gamma, "--data", dir]);
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.True(await FoundAsync(dir, "gamma zebra discount", "gamma"));
        Assert.Equal(1, Records(dir, "knowledge:gamma"));
    }
}
