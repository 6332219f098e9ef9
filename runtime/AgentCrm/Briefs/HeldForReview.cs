using AgentCrm.Storage;

namespace AgentCrm.Briefs;

/// <summary>
/// The review queue's held briefs: <c>review_held</c>, one row (the brief's seq) per brief awaiting review (pendingReview,
/// no verdict) whose version was not taken back (<c>withdrawn_versions</c>). Each change runs in the transaction of the
/// state change it follows — a held brief stored, a verdict, a version withdrawn or reinstated (by the server or by the CLI
/// in its own process) — so a crash leaves the table as it left the rest. The schema (<see cref="Server.ServerSchema"/>)
/// fills it at every start from the briefs, and drops rows no longer held: a directory from before the table, or one an
/// older build wrote to (it keeps no rows), comes out right. The queue reads held briefs through it, so a version's held
/// briefs taken back (they stay pendingReview for good) are not walked by every page.
/// </summary>
internal static class HeldForReview
{
    /// <summary>A held brief just stored (<see cref="BriefStore.Add"/>), unless its version is withdrawn.</summary>
    public static void Add(WriteContext ctx, long seq, string agentId, string version) =>
        ctx.Execute(
            """
            INSERT OR IGNORE INTO review_held (seq) SELECT $s
            WHERE NOT EXISTS (SELECT 1 FROM withdrawn_versions WHERE agent_id = $a AND version = $v)
            """, ("$s", seq), ("$a", agentId), ("$v", version));

    /// <summary>A verdict on the brief: it leaves the queue.</summary>
    public static void Remove(WriteContext ctx, long seq) =>
        ctx.Execute("DELETE FROM review_held WHERE seq = $s", ("$s", seq));

    /// <summary>
    /// The version was taken back: its held briefs leave the queue. Read through <c>briefs_version_counts</c> (agent, version,
    /// state): the version's held briefs, not every brief.
    /// </summary>
    public static int Withdraw(WriteContext ctx, string agentId, string version) =>
        ctx.Execute(
            "DELETE FROM review_held WHERE seq IN (SELECT seq FROM briefs WHERE agent_id = $a AND agent_version = $v AND status = 'pendingReview')",
            ("$a", agentId), ("$v", version));

    /// <summary>The version is no longer withdrawn (active again): its held briefs without a verdict come back to the queue.</summary>
    public static int Reinstate(WriteContext ctx, string agentId, string version) =>
        ctx.Execute(
            """
            INSERT OR IGNORE INTO review_held (seq)
            SELECT b.seq FROM briefs b CROSS JOIN brief_reviews r ON r.brief_id = b.id
            WHERE b.agent_id = $a AND b.agent_version = $v AND b.status = 'pendingReview' AND r.verdict IS NULL
            """, ("$a", agentId), ("$v", version));
}
