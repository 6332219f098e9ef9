using System.Globalization;
using System.Text.Json;
using AgentCrm.Access;
using AgentCrm.Server;
using AgentCrm.Storage;
using Microsoft.Data.Sqlite;

namespace AgentCrm.Briefs;

/// <summary>
/// <c>event: resync</c>: the stream could not place the <c>Last-Event-ID</c> it was given (not an id this stream sent
/// from this data directory's history: another list's cursor, another directory's id, or one sent after the backup this
/// directory was restored from was taken: <see cref="BriefStreamEpochs"/>), so it cannot tell what the client missed; it
/// continues live from here. The client reloads its list (<c>GET /v1/briefs</c>) as after a first connect.
/// </summary>
public sealed record StreamResync(string LastEventId, string Detail);

/// <summary>What a reconnecting client missed: the briefs to send before the live ones, and a notice of any left out.</summary>
internal sealed record StreamReplay(IReadOnlyList<StreamItem> Items, StreamResync? Resync, long Head);

/// <summary>
/// The brief stream's positions and a reconnect's replay. Every brief has the position of its latest change
/// (<c>briefs.change_seq</c>, kept by triggers: ServerSchema), higher than any before it, and a stream event's id is the
/// position of what it sent, with its epoch (<see cref="BriefStreamEpochs"/>: which history of the data directory it is in). A client that reconnects with the last id it had (<c>Last-Event-ID</c>) is sent, oldest
/// change first, each brief it may see whose position is past that id, as it now is: a brief created and retracted
/// meanwhile comes once, retracted. At most <see cref="BriefStreamQueue.Capacity"/> of them, the newest; the older ones
/// are one <see cref="BriefOverflow"/> first, as for a slow reader.
/// </summary>
internal static class BriefStreamReplay
{
    /// <summary>
    /// Reads, in one snapshot, the newest position and what the caller may see past <paramref name="lastEventId"/> (null:
    /// nothing to replay); a CSM, of each account, only what changed after it became theirs (<see cref="GivenSince"/>). The
    /// snapshot is read after the live queue was subscribed: a change committed before it is here, one after it in the queue
    /// too, which the stream skips up to <see cref="StreamReplay.Head"/>.
    /// </summary>
    public static StreamReplay Read(SqliteDatabase database, BriefStreamEpochs epochs, Caller caller, string? lastEventId) =>
        Read(database, epochs, caller, lastEventId, null);

    /// <summary>
    /// What the caller may see past <paramref name="position"/>, a position this stream sent (a CSM's accounts changed by
    /// another process meanwhile): of each account, only what changed after it became the CSM's (<see cref="GivenSince"/>).
    /// </summary>
    public static StreamReplay ReadAfter(SqliteDatabase database, BriefStreamEpochs epochs, Caller caller, long position) =>
        Read(database, epochs, caller, null, position);

    private static StreamReplay Read(SqliteDatabase database, BriefStreamEpochs epochs, Caller caller, string? lastEventId, long? position)
    {
        using var connection = database.Open();
        using var transaction = connection.BeginTransaction(deferred: true);
        SqliteCommand Command(string sql, params (string Name, object Value)[] args)
        {
            var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = sql;
            foreach (var (name, value) in args)
                command.Parameters.AddWithValue(name, value);
            return command;
        }
        object Scalar(string sql, params (string Name, object Value)[] args)
        {
            using var command = Command(sql, args);
            return command.ExecuteScalar()!;
        }
        var head = Convert.ToInt64(Scalar("SELECT coalesce(max(change_seq), 0) FROM briefs"), CultureInfo.InvariantCulture);
        if (lastEventId is null && position is null)
            return new([], null, head);
        var (after, unplaced) = position is { } sent ? (sent, null) : epochs.Place(lastEventId!, head);
        if (unplaced is not null)
            return new([], new(lastEventId!, unplaced), head);

        var (visible, args) = Visibility(caller);
        if (caller.ScopedToAccounts)
            visible += GivenSince;
        List<StreamItem> items = [];
        using (var read = Command(
            ReplaySql(visible),
            [.. args, ("$after", after), ("$head", head), ("$n", BriefStreamQueue.Capacity + 1)]))
        using (var row = read.ExecuteReader())
            while (row.Read())
                items.Add(new(null, JsonSerializer.Deserialize<Brief>(row.GetString(2), BriefStore.Json), row.GetInt64(1)));
        if (items.Count <= BriefStreamQueue.Capacity)
        {
            items.Reverse();
            return new(items, null, head);
        }
        // More than a queue holds: the newest are sent, the older ones counted into one notice before them.
        items.RemoveAt(items.Count - 1);
        items.Reverse();
        var below = items[0].Position;
        using var dropped = Command(
            $"SELECT count(*), max(seq), min(seq), max(change_seq) FROM briefs WHERE change_seq > $after AND change_seq < $below AND {visible}",
            [.. args, ("$after", after), ("$below", below)]);
        using var counted = dropped.ExecuteReader();
        counted.Read();
        var (count, newestSeq, oldestSeq, through) = (counted.GetInt64(0), counted.GetInt64(1), counted.GetInt64(2), counted.GetInt64(3));
        var oldestId = (string)Scalar("SELECT id FROM briefs WHERE seq = $s", ("$s", oldestSeq));
        var notice = new BriefOverflow(count, Paging.SeqCursor(Paging.Briefs, newestSeq + 1), oldestId);
        return new([new(notice, null, through), .. items], null, head);
    }

    /// <summary>The newest changes past <c>$after</c> up to <c>$head</c> that the caller may see (<paramref name="visible"/>), <c>$n</c> of them.</summary>
    internal static string ReplaySql(string visible) =>
        $"SELECT seq, change_seq, body FROM briefs WHERE change_seq > $after AND change_seq <= $head AND {visible} ORDER BY change_seq DESC LIMIT $n";

    /// <summary>
    /// A CSM's replay, on a reconnect (<c>Last-Event-ID</c>) as on a read-again (<see cref="ReadAfter"/>), leaves out an
    /// account's briefs that changed at or before the brief head recorded when the account became theirs
    /// (<c>csm_accounts.given_at</c>): the live stream never sends those either, and they may be another CSM's (qa36a: an
    /// account the CLI gave sent the stream every brief of it since the stream's last; qa37a #1: a reconnect from before the
    /// account was given sent them too, so a client that reconnected got more than one that stayed connected).
    /// One lookup by the assignments' key per brief the accounts lead to. Appended to <see cref="Visibility"/>'s; uses $csm.
    /// </summary>
    internal const string GivenSince =
        " AND briefs.change_seq > coalesce((SELECT given_at FROM csm_accounts WHERE csm_id = $csm AND customer_id = briefs.customer_id), 0)";

    /// <summary>
    /// What the caller may see, as the live stream sends it (<see cref="BriefsApi.Stream"/>) and the list shows it. A CSM's
    /// accounts lead ("+" keeps the state off briefs_status): by state, a replay read every delivered brief of every
    /// account (100,000 briefs: 96 ms for 30 of theirs, 1 ms by their accounts).
    /// </summary>
    internal static (string Sql, (string, object)[] Args) Visibility(Caller caller) => caller.ScopedToAccounts
        ? ("+status IN ('delivered', 'retracted') AND customer_id IN (SELECT customer_id FROM csm_accounts WHERE csm_id = $csm)", [("$csm", caller.Name)])
        : ("status <> 'shadow'", []);
}
