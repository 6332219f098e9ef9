using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AgentCrm.Audit;
using AgentCrm.Runtime.Tests.Cli;
using AgentCrm.Runtime.Tests.Reviews;
using Microsoft.Data.Sqlite;

namespace AgentCrm.Runtime.Tests.Audit;

/// <summary>
/// The record hash joined the fields with "|" unescaped, and a customer id may hold one: an action edited to end in
/// "|customer:acme" and the subject cut to match hashed alike, so verify (and an anchor on that very record) said intact
/// (qa33d). Records are now hashed with each field's length; a log of the old format still verifies after the upgrade, and
/// goes on in the new one, after which an old-format record is refused.
/// </summary>
public sealed class AuditHashFormatTests
{
    /// <summary>The hash builds before 2026-12-06 wrote: the fields joined by "|", as such a build would chain them.</summary>
    private static string OldFormatHash(long seq, string at, string actor, string action, string subject, string data, string prev) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{seq}|{at}|{actor}|{action}|{subject}|{data}|{prev}")));

    /// <summary>
    /// The records from <paramref name="from"/> on hashed again in the old format, chained, and the head moved to the last:
    /// the whole log, as a build before 2026-12-06 wrote it, or (from a later record) old-format records forged after new ones.
    /// Returns the head, SEQ:HASH.
    /// </summary>
    private static string RewriteInTheOldFormat(string dir, long from = 1)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(dir, "agentcrm.db")};Pooling=False");
        connection.Open();
        using var tx = connection.BeginTransaction();
        var rows = new List<(long Seq, string At, string Actor, string Action, string Subject, string Data, string Prev)>();
        using (var read = connection.CreateCommand())
        {
            read.Transaction = tx;
            read.CommandText = "SELECT seq, at, actor, action, subject, data, prev_hash FROM audit WHERE seq >= $from ORDER BY seq";
            read.Parameters.AddWithValue("$from", from);
            using var reader = read.ExecuteReader();
            while (reader.Read())
                rows.Add((reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5), reader.GetString(6)));
        }
        var prev = rows[0].Prev;
        foreach (var r in rows)
        {
            var hash = OldFormatHash(r.Seq, r.At, r.Actor, r.Action, r.Subject, r.Data, prev);
            using var update = connection.CreateCommand();
            update.Transaction = tx;
            update.CommandText = "UPDATE audit SET prev_hash = $p, hash = $h WHERE seq = $s";
            update.Parameters.AddWithValue("$p", prev);
            update.Parameters.AddWithValue("$h", hash);
            update.Parameters.AddWithValue("$s", r.Seq);
            update.ExecuteNonQuery();
            prev = hash;
        }
        var head = $"{rows[^1].Seq}:{prev}";
        using (var write = connection.CreateCommand())
        {
            write.Transaction = tx;
            write.CommandText = "UPDATE meta SET value = $v WHERE key = 'audit.head'";
            write.Parameters.AddWithValue("$v", head);
            Assert.Equal(1, write.ExecuteNonQuery());
        }
        tx.Commit();
        return head;
    }

    /// <summary>The directory's log verified as <c>agentcrm audit verify</c> verifies it (read-only, in this process).</summary>
    private static AuditVerification VerifyFile(string dir, params string[] anchors)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(dir, "agentcrm.db")};Pooling=False");
        connection.Open();
        return AuditLog.Verify(connection, anchors.Select(a => AuditAnchor.Parse(a, out var anchor) is null ? anchor! : throw new ArgumentException(a)).ToList());
    }

    private static string CopyOf(string dir)
    {
        var copy = TempDirectory.Create();
        foreach (var file in Directory.GetFiles(dir, "agentcrm.db*"))
            File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        return copy;
    }

    private static async Task<JsonElement> RecordOfAsync(AgentCrmApp app, string customerId) =>
        Assert.Single((await app.GetJsonAsync($"/v1/audit?subject={Uri.EscapeDataString("customer:" + customerId)}&action=consent.updated")).GetProperty("items").EnumerateArray());

    private static async Task PutConsentAsync(AgentCrmApp app, string customerId) =>
        Assert.Equal(HttpStatusCode.OK, (await app.Client.PutAsync($"/v1/customers/{Uri.EscapeDataString(customerId)}/consent", Variants.Json("""{"grants":[]}"""))).StatusCode);

    /// <summary>The fields of a record moved across its "|" (the action takes the subject's first part), no hash computed again.</summary>
    private static string AcrossThePipe(long seq, string rest = "x") => $"UPDATE audit SET action = 'consent.updated|customer:acme', subject = '{rest}' WHERE seq = {seq}";

    [Fact]
    public void Hash_TellsFieldsApart_WhereverTheirPipesAre()
    {
        const string at = "2026-12-06T10:00:00.0000000+00:00";
        var original = AuditLog.Hash(183, at, "key:admin", "consent.updated", "customer:acme|x", "{}", AuditLog.Genesis);
        Assert.NotEqual(original, AuditLog.Hash(183, at, "key:admin", "consent.updated|customer:acme", "x", "{}", AuditLog.Genesis));
        Assert.NotEqual(original, AuditLog.Hash(183, at, "key:admin", "consent.updated", "customer:acme", "x|{}", AuditLog.Genesis));
        // Lengths in UTF-8 bytes: a field of multi-byte characters is no more ambiguous than one of ASCII.
        Assert.NotEqual(AuditLog.Hash(1, at, "é", "a", "s", "{}", AuditLog.Genesis), AuditLog.Hash(1, at, "é|", "a", "s", "{}", AuditLog.Genesis));
        Assert.Matches("^[0-9a-f]{64}$", original);
    }

    [Fact]
    public async Task ARecordEditedAcrossAPipe_NoHashComputedAgain_IsCaught_OverHttp_AndByTheCliAnchoredOnIt()
    {
        var dir = TempDirectory.Create();
        long seq;
        string anchor;
        await using (var app = await AgentCrmApp.StartAsync(dir))
        {
            await PutConsentAsync(app, "acme|x");
            var record = await RecordOfAsync(app, "acme|x");
            seq = record.GetProperty("seq").GetInt64();
            anchor = $"{seq}:{record.GetProperty("hash").GetString()}";
        }
        AuditTests.Tamper(dir, AcrossThePipe(seq));

        await using (var app = await AgentCrmApp.StartAsync(dir))
        {
            using var response = await app.Client.PostAsync("/v1/audit/verify", null);
            var verify = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.False(verify.GetProperty("ok").GetBoolean(), verify.ToString());
            Assert.Equal(seq, verify.GetProperty("brokenAt").GetInt64());
            Assert.Equal($"record {seq} was changed after it was written (its content does not match its hash).", verify.GetProperty("reason").GetString());
        }
        var cli = await CliRunner.RunAsync(["audit", "verify", "--data", dir, "--anchor", anchor]);
        Assert.True(cli.ExitCode == 1, cli.Stdout + cli.Stderr);
        Assert.Contains($"the audit chain is broken at record {seq}: record {seq} was changed after it was written", cli.Stderr);
    }

    [Fact]
    public async Task ALogOfTheOldFormat_VerifiesAfterTheUpgrade_WithItsAnchors_GoesOnInTheNewFormat_AndRefusesTheOldOneAfter()
    {
        var dir = TempDirectory.Create();
        await using (var app = await AgentCrmApp.StartAsync(dir))
        {
            await PutConsentAsync(app, "acme|x");
            await PutConsentAsync(app, "globex");
        }
        // As a build before 2026-12-06 (data format 2) left it: every record in the old format, the head taken as an anchor.
        var oldHead = RewriteInTheOldFormat(dir);
        foreach (var file in Directory.GetFiles(dir, "*.db"))
        {
            using var connection = new SqliteConnection($"Data Source={file};Pooling=False");
            connection.Open();
            using var stamp = connection.CreateCommand();
            stamp.CommandText = "PRAGMA user_version = 2";
            stamp.ExecuteNonQuery();
        }
        var oldRecords = long.Parse(oldHead.Split(':')[0], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(VerifyFile(dir, oldHead).Ok);

        // An edit of an old-format record across a pipe that puts one in an action, or leaves data that is not JSON, is caught:
        // the old hash cannot tell it, what every build writes there can.
        long oldSeq;
        await using (var app = await AgentCrmApp.StartAsync(dir))
        {
            oldSeq = (await RecordOfAsync(app, "acme|x")).GetProperty("seq").GetInt64();
            Assert.True(oldSeq <= oldRecords);
            await PutConsentAsync(app, "acme|y");
            await PutConsentAsync(app, "initech");
            var verify = await app.Client.PostAsync("/v1/audit/verify", Variants.Json($$"""{"anchors":[{"seq":{{oldRecords}},"hash":"{{oldHead.Split(':')[1]}}"}]}"""));
            var answer = JsonDocument.Parse(await verify.Content.ReadAsStringAsync()).RootElement;
            Assert.True(answer.GetProperty("ok").GetBoolean(), answer.ToString());
            Assert.True(answer.GetProperty("records").GetInt64() > oldRecords);
        }
        var upgraded = VerifyFile(dir, oldHead);
        Assert.True(upgraded.Ok, upgraded.ToString());
        var newHead = upgraded.Head!.ToString();

        var actionEdited = CopyOf(dir);
        AuditTests.Tamper(actionEdited, AcrossThePipe(oldSeq));
        var caught = VerifyFile(actionEdited);
        Assert.False(caught.Ok);
        Assert.Equal(oldSeq, caught.BrokenAt);
        Assert.Contains("its action holds '|'", caught.Reason);
        var dataEdited = CopyOf(dir);
        AuditTests.Tamper(dataEdited, $"UPDATE audit SET subject = 'customer:acme', data = 'x|' || data WHERE seq = {oldSeq}");
        caught = VerifyFile(dataEdited);
        Assert.False(caught.Ok);
        Assert.Equal(oldSeq, caught.BrokenAt);
        Assert.Contains("its data is not a JSON object", caught.Reason);

        // The records written since are of the new format: the same edit of one of them is caught by its hash.
        long newSeq, lastSeq;
        await using (var app = await AgentCrmApp.StartAsync(CopyOf(dir)))
            (newSeq, lastSeq) = ((await RecordOfAsync(app, "acme|y")).GetProperty("seq").GetInt64(), (await RecordOfAsync(app, "initech")).GetProperty("seq").GetInt64());
        Assert.True(oldRecords < newSeq && newSeq < lastSeq, $"{oldRecords} < {newSeq} < {lastSeq}");
        var newEdited = CopyOf(dir);
        AuditTests.Tamper(newEdited, AcrossThePipe(newSeq, "y"));
        caught = VerifyFile(newEdited, oldHead);
        Assert.False(caught.Ok);
        Assert.Equal(newSeq, caught.BrokenAt);
        Assert.Equal($"record {newSeq} was changed after it was written (its content does not match its hash).", caught.Reason);

        // Old-format records after new ones (an older build writing to an upgraded log, or a forgery that keeps an edit
        // from showing): refused from the first of them, though they chain and the head matches.
        var forged = CopyOf(dir);
        RewriteInTheOldFormat(forged, from: lastSeq);
        caught = VerifyFile(forged);
        Assert.False(caught.Ok);
        Assert.Equal(lastSeq, caught.BrokenAt);
        Assert.Contains("hashed in the format of builds before 2026-12-06 after records in the current one", caught.Reason);
        Assert.True(VerifyFile(dir, oldHead, newHead).Ok);
    }
}
