using System.Globalization;
using System.Security.Cryptography;
using AgentCrm.Storage;

namespace AgentCrm.Briefs;

/// <summary>
/// Ties the brief stream's positions to this data directory's history. A position (<c>briefs.change_seq</c>) alone is not:
/// restore an older backup, let the server write, and the positions past the backup are given again to other changes, so a
/// client whose last id was sent after the backup was taken resumed past changes it never saw. Each server start begins an
/// epoch (<c>stream_epochs</c>: a random id and the first position it gives, the newest + 1), recorded before anything
/// writes a brief; an epoch holds the positions from its first to the next epoch's first (the first epoch also those
/// before it: a directory's history from before epochs), and an event id names the epoch of its position. A restored
/// directory knows an epoch only up to where its backup ends, as the start after the restore begins a new one there: an
/// id past that, or of an epoch it never had (the restored-over history's, another directory's), cannot be placed.
/// Only the server adds epochs, one server per directory (serve.lock): what it holds in memory is the table. The CLI writes
/// no briefs, so it adds none; a writer of briefs beside a running server (an older build's triggers, too) gives positions
/// in the running server's epoch, and with no server running in the last one's, which the next start then ends.
/// </summary>
public sealed partial class BriefStreamEpochs
{
    /// <summary>An event id's prefix, as the lists' cursors have theirs: a list cursor given as an event id is not taken for one.</summary>
    public const string Prefix = "e:";

    private const string NotAnEventId = "Last-Event-ID is not an event id of this stream (a brief id from a build before event ids were stream positions, or another list's cursor).";

    private readonly IReadOnlyList<(string Epoch, long FirstSeq)> _epochs;

    public BriefStreamEpochs(SqliteDatabase database, TimeProvider time, ILogger<BriefStreamEpochs> logger)
    {
        var epoch = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        using var connection = database.Open();
        using (var insert = connection.CreateCommand())
        {
            insert.CommandText = "INSERT INTO stream_epochs (epoch, first_seq, created_at) SELECT $e, coalesce(max(change_seq), 0) + 1, $at FROM briefs";
            insert.Parameters.AddWithValue("$e", epoch);
            insert.Parameters.AddWithValue("$at", time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture));
            insert.ExecuteNonQuery();
        }
        List<(string, long)> epochs = [];
        using (var read = connection.CreateCommand())
        {
            read.CommandText = "SELECT epoch, first_seq FROM stream_epochs ORDER BY n";
            using var row = read.ExecuteReader();
            while (row.Read())
                epochs.Add((row.GetString(0), row.GetInt64(1)));
        }
        _epochs = epochs;
        Began(logger, epoch, epochs[^1].Item2, epochs.Count);
    }

    /// <summary>The event id of <paramref name="position"/>: the epoch it lies in and the position, opaque (base64url) as the lists' cursors.</summary>
    internal string EventId(long position) =>
        Server.Paging.EncodeCursor(Prefix, $"{_epochs[EpochOf(position)].Epoch}-{position.ToString(CultureInfo.InvariantCulture)}");

    /// <summary>The last epoch whose first position is at or below <paramref name="position"/>; the first for any below it.</summary>
    private int EpochOf(long position)
    {
        for (var i = _epochs.Count - 1; i > 0; i--)
            if (_epochs[i].FirstSeq <= position)
                return i;
        return 0;
    }

    /// <summary>
    /// The position a reconnect's <paramref name="lastEventId"/> stands for in this directory's history, up to
    /// <paramref name="head"/> (the newest position now), or why it cannot be placed (the resync's detail).
    /// </summary>
    internal (long After, string? Unplaced) Place(string lastEventId, long head)
    {
        if (!Server.Paging.TryDecodeCursor(lastEventId, Prefix, out var text))
            return (0, NotAnEventId);
        var dash = text.LastIndexOf('-');
        if (!long.TryParse(text.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var position))
            return (0, NotAnEventId);
        if (dash < 0)
        {
            // A build from before epochs sent the bare position: trusted, as it was, within the history that build left here.
            if (position >= _epochs[0].FirstSeq)
                return (0, "Last-Event-ID is a position without an epoch (as builds before epochs sent them) past the history such a build wrote here: it cannot be placed.");
        }
        else
        {
            var epoch = text[..dash];
            var index = -1;
            for (var i = 0; i < _epochs.Count && index < 0; i++)
                if (_epochs[i].Epoch == epoch)
                    index = i;
            if (index < 0)
                return (0, "Last-Event-ID is from a history this data directory does not have: another server's directory, or this one before it was restored from a backup taken earlier.");
            var from = index == 0 ? 0 : _epochs[index].FirstSeq;
            var to = index == _epochs.Count - 1 ? long.MaxValue : _epochs[index + 1].FirstSeq;
            if (position < from || position >= to)
                return (0, "Last-Event-ID was sent after the point this data directory's history now ends at (it was restored from a backup taken before that event): it cannot be placed.");
        }
        if (position > head)
            return (0, "Last-Event-ID is past this server's newest change: it came from another data directory.");
        return (position, null);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Brief stream epoch {Epoch} begins at position {FirstSeq} (epoch {Count} of this data directory)")]
    private static partial void Began(ILogger logger, string epoch, long firstSeq, int count);
}
