using AgentCrm.Access;

namespace AgentCrm.Briefs;

/// <summary>
/// The accounts of the CSM a brief stream is for, held by the stream so that a brief of another account takes no place in
/// its queue and costs it no read of the database (qa35b: every brief of every account used to be queued for each CSM's
/// stream and looked up there, one read per stream per brief, and a busy server's other accounts overflowed a CSM who read
/// promptly). A change this process makes (<c>PUT /v1/csms/{csmId}/accounts</c>) replaces them at its commit, before any
/// later brief is offered; one another process makes (<c>agentcrm csms accounts set</c>) shows in the change counter, which
/// the stream looks at as it goes (<see cref="ChangedElsewhere"/>) and then sends what it left out meanwhile. This process's
/// changes come in the counter's order, so one that skips a value shows another process changed assignments before it.
/// </summary>
internal sealed class StreamAccounts : IDisposable
{
    private readonly AccountAssignments _assignments;
    private readonly string _csmId;
    private CsmAccountSet _current;
    // 1: a change this process made to the CSM's accounts came after one another process made that the stream had not read.
    private int _missed;

    public StreamAccounts(AccountAssignments assignments, string csmId)
    {
        _assignments = assignments;
        _csmId = csmId;
        // Subscribed before the read: a change committed after it is not missed, and the older of the two never wins.
        _assignments.Assigned += OnAssigned;
        _current = new CsmAccountSet(-1, new HashSet<string>());
        Keep(assignments.AccountSet(csmId));
    }

    /// <summary>Whether the brief's account is the CSM's, as of the latest change this stream knows of.</summary>
    public bool Contains(string customerId) => Volatile.Read(ref _current).Accounts.Contains(customerId);

    /// <summary>
    /// Reads the accounts again when another process changed assignments since they were read (the change counter, one small
    /// read: the stream asks before each brief it sends and when it wakes); true when it did, so that the stream sends the briefs it
    /// left out meanwhile: only when they gained one (an account taken away is never sent: each brief is checked again as it is sent).
    /// </summary>
    public bool ChangedElsewhere()
    {
        // The change this process made is held already; what the other process's gave meanwhile is sent by the read-again.
        if (Interlocked.Exchange(ref _missed, 0) == 1)
            return true;
        var held = Volatile.Read(ref _current);
        // The counter as it is now, not as read up to 2 s ago: a brief taken from the queue while the counter read was stale
        // moved the stream's position past the new account's briefs, and the read-again after it missed them.
        if (_assignments.Version() <= held.Version)
            return false;
        var read = _assignments.AccountSet(_csmId);
        return Keep(read) && !read.Accounts.IsSubsetOf(held.Accounts);
    }

    /// <summary>
    /// A change this process made (<c>PUT</c>), raised in the counter's order. The CSM's own is kept; when it skips a value past
    /// the one held, another process changed assignments between (<c>agentcrm csms accounts set</c>), which the counter would
    /// no longer show once this one is held (qa36a: a PUT just after the CLI gave an account hid it, and its briefs committed
    /// meanwhile were never sent), so the stream reads again. Another CSM's change right after the one held leaves this CSM's
    /// accounts as they are, as of it: a gap after it is then the other process's only.
    /// </summary>
    private void OnAssigned(string csmId, CsmAccountSet accounts)
    {
        while (true)
        {
            var held = Volatile.Read(ref _current);
            if (accounts.Version <= held.Version)
                return;
            var gap = accounts.Version > held.Version + 1;
            var mine = csmId == _csmId;
            // Another CSM's change after a gap: the counter still shows the gap (ChangedElsewhere reads the accounts).
            if (!mine && gap)
                return;
            if (Interlocked.CompareExchange(ref _current, mine ? accounts : held with { Version = accounts.Version }, held) != held)
                continue;
            if (mine && gap)
                Volatile.Write(ref _missed, 1);
            return;
        }
    }

    /// <summary>Keeps <paramref name="accounts"/> unless those held are as new or newer; true when it did.</summary>
    private bool Keep(CsmAccountSet accounts)
    {
        while (true)
        {
            var held = Volatile.Read(ref _current);
            if (accounts.Version <= held.Version)
                return false;
            if (Interlocked.CompareExchange(ref _current, accounts, held) == held)
                return true;
        }
    }

    public void Dispose() => _assignments.Assigned -= OnAssigned;
}
