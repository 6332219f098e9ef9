using System.Security.Cryptography;
using System.Text.Json;
using AgentCrm.Runtime.Tests.Audit;
using Microsoft.Data.Sqlite;

namespace AgentCrm.Runtime.Tests.Cli;

/// <summary>`agentcrm audit verify`: the chain checked offline and read-only, on a data directory or a copy of a backup.</summary>
public sealed class AuditCliTests
{
    private static Task<CliResult> Run(params string[] args) => CliRunner.RunAsync(args);

    private static string Sha256Of(string file) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file)));

    /// <summary>A data directory with a few audit records (keys created and one revoked), its WAL folded into the file.</summary>
    private static async Task<string> DirectoryWithRecordsAsync()
    {
        var dir = TempDirectory.Create();
        foreach (var name in new[] { "ann", "bob" })
            Assert.Equal(0, (await Run("keys", "create", "--role", "csm", "--name", name, "--data", dir)).ExitCode);
        Assert.Equal(0, (await Run("keys", "revoke", "bob", "--data", dir)).ExitCode);
        using var connection = new SqliteConnection($"Data Source={Path.Combine(dir, "agentcrm.db")};Pooling=False");
        connection.Open();
        using var checkpoint = connection.CreateCommand();
        checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
        checkpoint.ExecuteNonQuery();
        return dir;
    }

    [Fact]
    public async Task AuditVerify_AnIntactLog_PrintsItsHeadAndChangesNothing()
    {
        var dir = await DirectoryWithRecordsAsync();
        var db = Path.Combine(dir, "agentcrm.db");
        var before = Sha256Of(db);

        var text = await Run("audit", "verify", "--data", dir);
        Assert.True(text.ExitCode == 0, text.Stderr);
        Assert.Matches(@"^Audit chain intact: \d+ records\.\nhead \d+:[0-9a-f]{64}\n$", text.Stdout);
        var head = text.Stdout.Split('\n')[1]["head ".Length..];

        var json = await Run("audit", "verify", "--data", dir, "--json");
        Assert.Equal(0, json.ExitCode);
        var result = JsonDocument.Parse(json.Stdout).RootElement;
        Assert.True(result.GetProperty("ok").GetBoolean());
        Assert.Equal(head, $"{result.GetProperty("head").GetProperty("seq").GetInt64()}:{result.GetProperty("head").GetProperty("hash").GetString()}");

        var anchored = await Run("audit", "verify", "--data", dir, "--anchor", head, "--anchor", head.ToUpperInvariant());
        Assert.True(anchored.ExitCode == 0, anchored.Stderr);
        Assert.Contains("2 anchors held", anchored.Stdout);
        // Read-only: no schema applied, no built-in registered, no record appended; a file without a write-ahead log beside it
        // is read as immutable, so nothing is written beside it either (a backup's folder may be read-only).
        Assert.Equal(before, Sha256Of(db));
        Assert.Equal(["agentcrm.db"], Directory.GetFiles(dir, "agentcrm.db*").Select(Path.GetFileName));
    }

    [Fact]
    public async Task AuditVerify_AnEditedRecord_Exits1NamingIt_AndARewrittenLogFailsItsAnchor()
    {
        var dir = await DirectoryWithRecordsAsync();
        var head = (await Run("audit", "verify", "--data", dir)).Stdout.Split('\n')[1]["head ".Length..];
        using (var connection = new SqliteConnection($"Data Source={Path.Combine(dir, "agentcrm.db")};Pooling=False"))
        {
            connection.Open();
            using var edit = connection.CreateCommand();
            edit.CommandText = "UPDATE audit SET actor = 'cli:mallory' WHERE seq = 2";
            Assert.Equal(1, edit.ExecuteNonQuery());
        }

        var edited = await Run("audit", "verify", "--data", dir);
        Assert.Equal(1, edited.ExitCode);
        Assert.Equal("", edited.Stdout);
        Assert.Equal("agentcrm: the audit chain is broken at record 2: record 2 was changed after it was written (its content does not match its hash).\n", edited.Stderr);
        var json = await Run("audit", "verify", "--data", dir, "--json");
        Assert.Equal(1, json.ExitCode);
        Assert.Equal(2, JsonDocument.Parse(json.Stdout).RootElement.GetProperty("brokenAt").GetInt64());

        AuditTests.RewriteChain(dir);
        Assert.Equal(0, (await Run("audit", "verify", "--data", dir)).ExitCode);
        var anchored = await Run("audit", "verify", "--data", dir, "--anchor", head);
        Assert.Equal(1, anchored.ExitCode);
        Assert.Contains($"broken at record {head.Split(':')[0]}", anchored.Stderr);
        Assert.Contains("rewritten", anchored.Stderr);
        Assert.Single(anchored.Stderr.Trim('\n').Split('\n'));
    }

    [Fact]
    public async Task AuditVerify_NoDatabaseOrABadAnchor_FailsInOneLineAndCreatesNothing()
    {
        var missing = Path.Combine(TempDirectory.Create(), "not-there");
        var none = await Run("audit", "verify", "--data", missing);
        Assert.Equal(1, none.ExitCode);
        Assert.StartsWith($"agentcrm: no agentcrm.db in {missing}", none.Stderr);
        Assert.False(Directory.Exists(missing));

        var other = TempDirectory.Create();
        using (var connection = new SqliteConnection($"Data Source={Path.Combine(other, "agentcrm.db")};Pooling=False"))
        {
            connection.Open();
            using var create = connection.CreateCommand();
            create.CommandText = "CREATE TABLE notes (text TEXT)";
            create.ExecuteNonQuery();
        }
        var foreign = await Run("audit", "verify", "--data", other);
        Assert.Equal(1, foreign.ExitCode);
        Assert.Contains("not an AgentCrm database", foreign.Stderr);

        // A backup killed midway (sqlite3 .backup): a partial file and its -journal. Was "agentcrm: SQLite Error 26: 'file is not a database'." (qa27b).
        var partial = TempDirectory.Create();
        File.WriteAllBytes(Path.Combine(partial, "agentcrm.db"), Enumerable.Repeat((byte)0x5A, 4096).ToArray());
        File.WriteAllBytes(Path.Combine(partial, "agentcrm.db-journal"), new byte[512]);
        var cut = await Run("audit", "verify", "--data", partial);
        Assert.Equal(1, cut.ExitCode);
        var line = Assert.Single(cut.Stderr.Trim('\n').Split('\n'));
        Assert.StartsWith($"agentcrm: {Path.Combine(partial, "agentcrm.db")} is not a whole SQLite database", line);
        Assert.Contains("agentcrm.db-journal beside it", line);
        Assert.Contains("take the backup again", line);

        foreach (var bad in new[] { "12", "0:" + new string('a', 64), "x:" + new string('a', 64), "3:abc" })
        {
            var usage = await Run("audit", "verify", "--data", other, "--anchor", bad);
            Assert.True(usage.ExitCode == 2, $"{bad}: {usage.Stderr}");
            Assert.StartsWith("agentcrm: --anchor: ", usage.Stderr);
            Assert.Single(usage.Stderr.Trim('\n').Split('\n'));
        }
    }
}
