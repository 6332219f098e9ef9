using System.Globalization;
using AgentCrm.Access;
using AgentCrm.Audit;
using AgentCrm.Storage;

namespace AgentCrm.Briefs;

/// <summary>
/// The caller's own response to a brief: when they acknowledged it (the first time, or the first time since it was
/// retracted), and their feedback on it, if any (<see cref="Useful"/> null: none yet). Each CSM has their own; a brief
/// shows only its reader's. <see cref="RetractedSince"/>: the brief was retracted after it was acknowledged (the veto was
/// applied after the acknowledgement, whatever the clocks said), so that acknowledgement does not cover the retraction:
/// the brief is back in the reader's inbox (<c>acknowledged=false</c>) until they acknowledge it again.
/// </summary>
public sealed record BriefResponse(DateTimeOffset AcknowledgedAt, bool? Useful, string? Note, DateTimeOffset? FeedbackAt, bool RetractedSince);

/// <summary>CSM responses to one agent version's briefs: briefs acknowledged by anyone, and feedback given (one per CSM and brief).</summary>
[Server.OpenApiAlwaysSent]
public sealed record ResponseCounts(long AcknowledgedBriefs = 0, long Useful = 0, long NotUseful = 0);

/// <summary>
/// CSMs' acknowledgements and feedback, one row per brief and reader, written through the single writer with their audit
/// record and the brief's seq (<c>brief_seq</c>: the order a reader's "acknowledged" list walks them in, <see cref="BriefStore.Prepare"/>).
/// Not labels: "not useful" may be a right call the CSM already knew about, so feedback stays out of the agent's sandbox
/// cases (a reviewer's veto is what labels a brief); it shows in the version's health.
/// </summary>
public sealed class BriefResponseStore(SqliteDatabase database, SqliteWriter writer, AuditLog audit, TimeProvider time)
{
    /// <summary>Raised after a CSM's response was committed: the brief and what was recorded (<c>acknowledged</c>, <c>useful</c>, <c>notUseful</c>).</summary>
    public event Action<Brief, string>? Responded;

    /// <summary>
    /// Acknowledges the brief for the caller; a repeat keeps the first time and writes nothing, unless the brief was retracted
    /// since (<see cref="BriefResponse.RetractedSince"/>): then it is acknowledged again, at a new time. Answers the brief as
    /// the acknowledgement found it (a veto applied just before it: retracted, and acknowledged as such) with the response.
    /// </summary>
    public Task<(Brief Brief, BriefResponse Response)> AcknowledgeAsync(Brief brief, Caller caller) => RespondAsync(brief, caller, feedback: null);

    /// <summary>Records the caller's feedback (acknowledging the brief too); the same feedback again writes nothing, other feedback replaces it.</summary>
    public Task<(Brief Brief, BriefResponse Response)> FeedbackAsync(Brief brief, Caller caller, bool useful, string? note) => RespondAsync(brief, caller, (useful, note));

    /// <summary>
    /// Whose row a response is: a CSM by their CSM id (key name or JWT subject alike, as account assignments), anyone else
    /// by role and name, so an ops, reviewer or admin credential named like a CSM never reads or writes that CSM's response.
    /// (A CSM id has no ':' — it must be assignable — so the two never meet.)
    /// </summary>
    public static bool CanRespond(Caller caller) => caller.Role is Roles.Csm or Roles.Admin;

    public static string Responder(Caller caller) => caller.ScopedToAccounts ? caller.Name : $"{caller.Role}:{caller.Name}";

    private Task<(Brief Brief, BriefResponse Response)> RespondAsync(Brief read, Caller caller, (bool Useful, string? Note)? feedback)
    {
        var responder = Responder(caller);
        // An admin may respond (trying the console, say): stored and shown to them, but neither counted nor measured as a CSM's.
        var raise = caller.Role == Roles.Csm ? Responded : null;
        return writer.WriteAsync(ctx =>
        {
            // The brief as this response finds it, in the order the writes are applied, not as it was read before it was
            // queued: a veto applied in between makes this an acknowledgement of the retraction, answered retracted (qa37a #2:
            // it answered "delivered", and the retraction the reader never saw counted as acknowledged). The time is taken
            // here too, so that it follows the veto's, but what counts is the state recorded with it (RetractedSince).
            var brief = BriefStore.Get(ctx, read.Id) ?? read;
            var now = time.GetUtcNow();
            var before = Read(ctx.Command(SelectOne, "$id", "$r"), brief.Id, responder);
            // An acknowledgement from before the brief was retracted does not cover the retraction: this response (an
            // acknowledgement or feedback, which acknowledges too) acknowledges it again, at a new time, audited as the first.
            var acknowledges = before is null || before.RetractedSince;
            var acknowledged = acknowledges ? now : before!.AcknowledgedAt;
            var changesFeedback = feedback is { } given && !(before is { Useful: { } was } && was == given.Useful && before.Note == given.Note);
            if (!acknowledges && !changesFeedback)
                return (brief, before!);
            var status = BriefStore.StatusName(brief.Status);
            if (before is null)
                ctx.Execute(
                    "INSERT INTO brief_responses (brief_id, responder, agent_id, agent_version, acknowledged_at, acknowledged_status, brief_seq) VALUES ($id, $r, $a, $v, $at, $st, (SELECT seq FROM briefs WHERE id = $id))",
                    ("$id", brief.Id), ("$r", responder), ("$a", brief.AgentId), ("$v", brief.AgentVersion), ("$at", Text(now)), ("$st", status));
            else if (acknowledges)
                ctx.Execute("UPDATE brief_responses SET acknowledged_at = $at, acknowledged_status = $st WHERE brief_id = $id AND responder = $r",
                    ("$at", Text(now)), ("$st", status), ("$id", brief.Id), ("$r", responder));
            if (acknowledges)
            {
                // What was acknowledged: the delivered brief, or its retraction (a reviewer reading the log tells the two apart).
                Audit(ctx, "brief.acknowledged", brief, caller, new Dictionary<string, object?> { ["status"] = status }, now);
                ctx.AfterCommit(() => raise?.Invoke(brief, "acknowledged"));
            }
            if (!changesFeedback || feedback is not { } f)
                return (brief, new BriefResponse(acknowledged, before?.Useful, before?.Note, before?.FeedbackAt, false));
            ctx.Execute("UPDATE brief_responses SET useful = $u, note = $n, feedback_at = $ft WHERE brief_id = $id AND responder = $r",
                ("$u", f.Useful ? 1 : 0), ("$n", f.Note), ("$ft", Text(now)), ("$id", brief.Id), ("$r", responder));
            Audit(ctx, "brief.feedback", brief, caller, new Dictionary<string, object?> { ["useful"] = f.Useful, ["withNote"] = f.Note is not null, ["replaces"] = before?.Useful }, now);
            ctx.AfterCommit(() => raise?.Invoke(brief, f.Useful ? "useful" : "notUseful"));
            return (brief, new BriefResponse(acknowledged, f.Useful, f.Note, now, false));
        });
    }

    private void Audit(WriteContext ctx, string action, Brief brief, Caller caller, Dictionary<string, object?> data, DateTimeOffset at)
    {
        data["customerId"] = brief.CustomerId;
        data["agentVersion"] = brief.AgentVersion;
        audit.Append(ctx, caller.AuditActor, action, $"brief:{brief.Id}", data, at);
    }

    /// <summary>The reader's responses to these briefs, by brief id (a page of a list: one lookup per brief on the primary key).</summary>
    public IReadOnlyDictionary<string, BriefResponse> Of(string responder, IReadOnlyCollection<string> briefIds)
    {
        var found = new Dictionary<string, BriefResponse>(StringComparer.Ordinal);
        if (briefIds.Count == 0)
            return found;
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = SelectOne;
        var id = cmd.Parameters.Add("$id", Microsoft.Data.Sqlite.SqliteType.Text);
        cmd.Parameters.AddWithValue("$r", responder);
        foreach (var briefId in briefIds)
        {
            id.Value = briefId;
            if (Read(cmd, briefId, responder) is { } response)
                found[briefId] = response;
        }
        return found;
    }

    /// <summary>The brief with its reader's own response, as the API shows it.</summary>
    public Brief WithResponse(Brief brief, Caller caller) =>
        Of(Responder(caller), [brief.Id]).TryGetValue(brief.Id, out var response) ? brief with { MyResponse = response } : brief;

    /// <summary>A page of briefs, each with its reader's own response.</summary>
    public BriefPage WithResponses(BriefPage page, Caller caller)
    {
        var responses = Of(Responder(caller), page.Items.Select(b => b.Id).ToList());
        return responses.Count == 0 ? page
            : page with { Items = page.Items.Select(b => responses.TryGetValue(b.Id, out var r) ? b with { MyResponse = r } : b).ToList() };
    }

    /// <summary>
    /// True for a response (alias <paramref name="response"/>) whose acknowledgement the brief's retraction came after: a
    /// retraction is the delivered brief's veto, recorded in brief_reviews (verdict <c>vetoed</c>; a brief vetoed before
    /// delivery never reached a reader), and a retraction is final, so an acknowledgement that found the brief delivered
    /// (<c>acknowledged_status</c>, written in its transaction) does not cover it, one that found it retracted does: the
    /// order the writes were applied in, whatever the clocks said (qa37a #2: times taken before queueing, or a clock
    /// stepped back, put an acknowledgement applied after the veto before it, or the reverse). A response from before that
    /// column (null) is compared by time: the veto's <c>decided_at</c> after <c>acknowledged_at</c> (UTC round-trip text,
    /// which sorts as the times do).
    /// </summary>
    internal static string RetractedSince(string response) =>
        $"({response}.acknowledged_status IS NOT 'retracted' AND EXISTS (SELECT 1 FROM brief_reviews v WHERE v.brief_id = {response}.brief_id AND v.verdict = 'vetoed' AND ({response}.acknowledged_status IS NOT NULL OR v.decided_at > {response}.acknowledged_at)))";

    private static readonly string SelectOne =
        $"SELECT r.acknowledged_at, r.useful, r.note, r.feedback_at, {RetractedSince("r")} FROM brief_responses r WHERE r.brief_id = $id AND r.responder = $r";

    private static BriefResponse? Read(Microsoft.Data.Sqlite.SqliteCommand cmd, string briefId, string responder)
    {
        cmd.Parameters["$id"].Value = briefId;
        cmd.Parameters["$r"].Value = responder;
        using var reader = cmd.ExecuteReader();
        if (!reader.Read())
            return null;
        return new BriefResponse(Parse(reader.GetString(0)), reader.IsDBNull(1) ? null : reader.GetInt64(1) == 1,
            reader.IsDBNull(2) ? null : reader.GetString(2), reader.IsDBNull(3) ? null : Parse(reader.GetString(3)), reader.GetInt64(4) == 1);
    }

    private static string Text(DateTimeOffset at) => at.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);

    private static DateTimeOffset Parse(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
}
