using System.CommandLine;
using System.Text.Json;
using AgentCrm.Audit;
using AgentCrm.Server;
using AgentCrm.Storage;
using Microsoft.Data.Sqlite;

namespace AgentCrm.Cli;

/// <summary>
/// `agentcrm audit verify [--anchor SEQ:HASH]…`: the audit chain checked offline, read-only, on the data directory or a copy of
/// a backup (nothing is created, migrated or registered in it); the head it prints is the anchor a later verify is given.
/// </summary>
internal static class AuditCommand
{
    public static Command Create()
    {
        var audit = new Command("audit", "The hash-chained audit log.");
        var anchor = new Option<string[]>("--anchor")
        {
            Description = "SEQ:HASH, a head an earlier verify printed and you kept elsewhere: the log must still hold that record with that hash (repeatable).",
        };
        anchor.Validators.Add(r =>
        {
            foreach (var token in r.Tokens)
                if (AuditAnchor.Parse(token.Value, out _) is { } problem)
                    r.AddError($"--anchor: {problem}");
        });
        var verify = new Command("verify", "Recompute the audit chain, read-only; prints its head (SEQ:HASH). Exit 1 when it is broken.") { anchor };
        verify.SetAction((p, ct) =>
        {
            var anchors = (p.GetValue(anchor) ?? []).Select(a => AuditAnchor.Parse(a, out var parsed) is null ? parsed! : throw new InvalidOperationException(a)).ToList();
            var path = CliHost.DatabasePath(p);
            if (!File.Exists(path))
                return Task.FromResult(AgentCrmCli.Fail($"no agentcrm.db in {Path.GetDirectoryName(path)}: nothing to verify (give the data directory, or a copy of a backup, with --data)."));
            // Every file a start on the directory would use, checked as the start checks it, and each read whole: a copy that
            // passes starts (qa44a F1, F2). A newer build's directory is refused as the start refuses it: its records may be
            // hashed by rules this build does not know, and would be called tampered (F3).
            // A copy's own knowledge files, beside its agentcrm.db, are the copy's whatever Knowledge:DataDirectory says (that
            // names the live server's, rev44c M1); kept apart, they are read whole too (M2).
            var directory = Path.GetDirectoryName(path)!;
            var knowledge = Knowledge.Options.KnowledgeOptions.FileNames.Any(f => File.Exists(Path.Combine(directory, f))) ? directory : CliHost.KnowledgeDirectory(p);
            var schema = AgentCrmServer.SchemaWithCatalogIn(knowledge);
            if (SqliteDatabase.Inspect(path, [schema], BackupCommand.AcceptsLostCatalog(p)) is { } damaged)
                return Task.FromResult(AgentCrmCli.Fail(NotWhole(damaged.Path, damaged.Problem)));
            if (knowledge != directory)
                foreach (var file in Knowledge.Options.KnowledgeOptions.FileNames)
                    if (Path.Combine(knowledge, file) is var apart && File.Exists(apart) && SqliteDatabase.DamageOf(apart) is { } cut)
                        return Task.FromResult(AgentCrmCli.Fail(NotWhole(apart, cut)));
            var (result, problem) = Verify(path, anchors);
            if (result is null)
                return Task.FromResult(AgentCrmCli.Fail(problem!));
            if (p.GetValue(AgentCrmCli.Json))
                Console.WriteLine(JsonSerializer.Serialize(result, AgentCrmCli.JsonOutput));
            else if (result.Ok)
            {
                Console.WriteLine($"Audit chain intact: {Counted.Of(result.Records, "record", format: "N0")}{(anchors.Count > 0 ? $", {Counted.Of(anchors.Count, "anchor")} held" : "")}.");
                if (result.Head is { } head)
                    Console.WriteLine($"head {head}");
            }
            if (!result.Ok)
            {
                if (!p.GetValue(AgentCrmCli.Json))
                    AgentCrmCli.Fail(result.Problem + (result.Differences is { Count: > 1 } ? " (--json lists them)" : ""));
                return Task.FromResult(1);
            }
            return Task.FromResult(0);
        });
        audit.Subcommands.Add(verify);
        return audit;
    }

    /// <summary>
    /// The audit chain of the agentcrm.db at <paramref name="path"/> checked read-only, or why it could not be (not an AgentCrm
    /// database, a copy cut short or damaged) in one sentence: what `audit verify` and `backup` check.
    /// </summary>
    internal static (AuditVerification? Result, string? Problem) Verify(string path, IReadOnlyList<AuditAnchor> anchors)
    {
        // Without the schema: a backup is checked as it is.
        try
        {
            using var connection = SqliteDatabase.OpenReadOnly(path);
            if (!HasAuditLog(connection))
                return (null, $"{path} holds no audit log: it is not an AgentCrm database.");
            return (AuditLog.Verify(connection, anchors), null);
        }
        catch (SqliteException ex) when (SqliteDatabase.IsDamage(ex))
        {
            return (null, NotWhole(path, ex.Message.TrimEnd('.')));
        }
    }

    /// <summary>
    /// A file SQLite finds damaged: most often a copy cut short (a backup killed midway leaves a partial file and a -journal);
    /// verify is also run on a live data directory, where taking "the backup again" would copy the damage (rev44c L3).
    /// </summary>
    private static string NotWhole(string path, string sqlite)
    {
        var journal = File.Exists(path + "-journal") ? $" ({path}-journal beside it is what an interrupted backup leaves)" : "";
        return $"{path} is not a whole SQLite database ({sqlite}){journal}: cut short or damaged. A backup: throw it away (with any -journal) and take the backup again, or verify another copy; a server's data directory: restore it from a backup.";
    }

    private static bool HasAuditLog(SqliteConnection connection)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN ('audit', 'meta')";
        return (long)cmd.ExecuteScalar()! == 2;
    }
}
