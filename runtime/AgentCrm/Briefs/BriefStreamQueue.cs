using System.Threading.Channels;
using AgentCrm.Server;

namespace AgentCrm.Briefs;

/// <summary>
/// What a stream client missed (<c>event: overflow</c>): <see cref="Dropped"/> briefs it may see were left out since its
/// previous event. <c>GET /v1/briefs?cursor=</c><see cref="Cursor"/> lists, newest first, from the newest of them; every
/// one is on that list down to and including <see cref="OldestId"/> (exactly those when they were all new briefs; a
/// brief that changed, a veto, keeps its place in the list, so briefs between may be listed too).
/// </summary>
public sealed record BriefOverflow(long Dropped, string Cursor, string OldestId);

/// <summary><c>event: heartbeat</c> on a brief stream with nothing to send for <c>Auth:Streams:Heartbeat</c>: the server's time.</summary>
public sealed record StreamHeartbeat(DateTimeOffset At);

/// <summary>One thing to send: a notice of what was dropped or a brief, and its position in the stream (its event id).</summary>
internal readonly record struct StreamItem(BriefOverflow? Overflow, Brief? Brief, long Position);

/// <summary>
/// The briefs waiting for one stream client, at most <see cref="Capacity"/>: a client that reads too slowly loses the
/// oldest, and what it lost is counted and handed to it, before the briefs still waiting, as one <see cref="BriefOverflow"/>.
/// Written on the writer's thread after a commit (in commit order, so in position order), read by the stream.
/// </summary>
internal sealed class BriefStreamQueue(Func<Brief, bool> mayBeSeen)
{
    public const int Capacity = 1024;

    // Wait mode: a full queue refuses the write, and Add drops the oldest itself, so that the drop is counted in the same step.
    private readonly Channel<(Brief Brief, long Seq, long Position)> _channel =
        Channel.CreateBounded<(Brief, long, long)>(new BoundedChannelOptions(Capacity) { FullMode = BoundedChannelFullMode.Wait });
    private readonly Lock _gate = new();
    private long _dropped, _oldestSeq, _newestSeq, _droppedThrough, _sentThrough;
    private string _oldestId = "";

    public void Add(Brief brief, long seq, long position)
    {
        // Under the lock with the reader's take: the notice of a drop is read before any brief queued after the one dropped.
        lock (_gate)
        {
            if (position <= _sentThrough)
                return;
            if (_channel.Writer.TryWrite((brief, seq, position)))
                return;
            _channel.Reader.TryRead(out var oldest);
            _channel.Writer.TryWrite((brief, seq, position));
            // The notice's event id: past every brief dropped, so a client that reconnects with it is sent those still queued.
            _droppedThrough = Math.Max(_droppedThrough, oldest.Position);
            // Counted only when the client would have been sent it, as the list would show it: for a CSM one read of their
            // accounts, and only while they are too slow; not when the replay before it sent it already.
            if (oldest.Position <= _sentThrough || !mayBeSeen(oldest.Brief))
                return;
            if (_dropped == 0 || oldest.Seq < _oldestSeq)
                (_oldestSeq, _oldestId) = (oldest.Seq, oldest.Brief.Id);
            if (_dropped == 0 || oldest.Seq > _newestSeq)
                _newestSeq = oldest.Seq;
            _dropped++;
        }
    }

    /// <summary>
    /// The changes up to <paramref name="position"/> were sent another way (a reconnect's replay, read after this queue
    /// was subscribed): those queued or still to come are left out, so that none is sent twice at the seam. A drop counted
    /// before this of a brief it covers stays counted (the notice then lists a few briefs more, never fewer): that takes a
    /// full queue within one read of the replay.
    /// </summary>
    public void SkipThrough(long position)
    {
        lock (_gate)
        {
            _sentThrough = Math.Max(_sentThrough, position);
            if (_dropped > 0 && _droppedThrough <= _sentThrough)
                _dropped = 0;
        }
    }

    public bool HasNext
    {
        get
        {
            lock (_gate)
                return _dropped > 0 || _channel.Reader.TryPeek(out _);
        }
    }

    /// <summary>The notice of what was dropped if anything was since the last one, else the next brief (none: both null).</summary>
    public StreamItem Take()
    {
        lock (_gate)
        {
            if (_dropped > 0)
            {
                var notice = new BriefOverflow(_dropped, Paging.SeqCursor(Paging.Briefs, _newestSeq + 1), _oldestId);
                _dropped = 0;
                return new(notice, null, _droppedThrough);
            }
            while (_channel.Reader.TryRead(out var next))
                if (next.Position > _sentThrough)
                    return new(null, next.Brief, next.Position);
            return default;
        }
    }

    public ValueTask<bool> WaitToReadAsync(CancellationToken ct) => _channel.Reader.WaitToReadAsync(ct);
}
