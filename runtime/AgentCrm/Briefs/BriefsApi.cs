using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using AgentCrm.Access;
using AgentCrm.Agents;
using AgentCrm.Customers;
using AgentCrm.Intake;
using AgentCrm.Server;
using AgentCrm.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace AgentCrm.Briefs;

public sealed record BriefEvidence(
    string BriefId, string CustomerId, string AgentId, string AgentVersion, string ContentHash,
    double Score, double Threshold, DateTimeOffset AsOf, string TriggerEventId,
    IReadOnlyDictionary<string, object?> SnapshotFields, IReadOnlyList<Agents.Reason> Reasons,
    IReadOnlyList<Citation> Citations, IReadOnlyList<JsonElement> Events);

public static partial class BriefsApi
{
    public const int DefaultLimit = Paging.DefaultLimit;
    public const int MaxLimit = Paging.MaxLimit;

    public static RouteGroupBuilder MapBriefsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/briefs").WithTags("Briefs");
        group.MapGet("/", List).WithName("ListBriefs").RequireRoles(Roles.Csm, Roles.Ops, Roles.Reviewer)
            .ProducesValidationProblem().ProducesValidationProblem(StatusCodes.Status403Forbidden)
            .AlsoAnswers(StatusCodes.Status403Forbidden, "Or a CSM filtered by a customerId that is not one of their accounts: named under errors.customerId.");
        group.MapGet("/stream", Stream).WithName("StreamBriefs").RequireRoles(Roles.Csm, Roles.Ops, Roles.Reviewer)
            .WithSummary("Server-sent events (`brief`) of new and changed briefs the caller may see; `overflow` when a slow client missed some. "
                + "A reconnect with Last-Event-ID (or ?lastEventId=) is first sent what changed since that event; `resync` when the id is not one of this stream's "
                + "in this data directory's history (another directory's, or sent after the backup it was restored from was taken). "
                + "At most Auth:Streams:MaxPerCredential open per credential and Auth:Streams:MaxTotal in all: 429 beyond.")
            .Produces<StreamLimitProblem>(StatusCodes.Status429TooManyRequests, OpenApiDescriptions.ProblemJson)
            .AlsoAnswers(StatusCodes.Status429TooManyRequests, "Or the credential (or the server) holds as many streams open as allowed: limit and setting name the limit (Auth:Streams:MaxPerCredential or Auth:Streams:MaxTotal).");
        group.MapGet("/{id}", GetBrief).WithName("GetBrief").RequireRoles(Roles.Csm, Roles.Ops, Roles.Reviewer)
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet("/{id}/evidence", Evidence).WithName("GetBriefEvidence").RequireRoles(Roles.Csm, Roles.Ops, Roles.Reviewer)
            .ProducesProblem(StatusCodes.Status404NotFound);
        return group;
    }

    public static Results<Ok<Brief>, ProblemHttpResult> GetBrief(string id, BriefStore store, BriefDisclosure disclosure, BriefResponseStore responses, AccountAssignments accounts, HttpContext context)
    {
        if (store.Get(id) is not { } b)
            return Problems.NotFound($"No brief '{id}'.");
        var caller = Caller.From(context.User);
        return Refusal(id, b, caller, accounts) is { } refused ? refused : TypedResults.Ok(responses.WithResponse(disclosure.AsSeenBy(b, caller), caller));
    }

    /// <summary>
    /// Why the caller may not read this brief, or null when they may: for a CSM, a brief they may not see — another
    /// account's, or one CSMs never see (shadow, pending review, vetoed) — is 404 as if it did not exist, as the list
    /// leaves it out. Not 403 for another account's: a brief id is derived from the agent version, customer and event
    /// id, all of which a CSM can guess, so a 403 would tell them which events on others' accounts made a brief.
    /// </summary>
    private static ProblemHttpResult? Refusal(string id, Brief b, Caller caller, AccountAssignments accounts) =>
        BriefStore.IsVisible(b, caller, accounts) ? null : Problems.NotFound($"No brief '{id}'.");

    /// <summary>How often an open stream checks its credential again while no brief is sent (before each brief it always does).</summary>
    public static readonly TimeSpan StreamCredentialRecheck = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Every brief stored or changed from now on that the caller may see, as server-sent events. The credential is
    /// checked again before each brief and every few seconds: a revoked key, an expired token or a changed role ends the stream.
    /// So does the server stopping: an open stream held a stop up for the host's whole shutdown timeout (30 s), and the
    /// actors' drain ran out of time behind it. A client too slow to take them loses the oldest of the briefs waiting
    /// for it past <see cref="BriefStreamQueue.Capacity"/>, and is told so in-band (<c>event: overflow</c>, a <see cref="BriefOverflow"/>).
    /// A credential holds at most so many streams open, and the server so many in all (<see cref="StreamSlots"/>): 429 beyond.
    /// A stream quiet for <see cref="StreamLimits.Heartbeat"/> sends <c>event: heartbeat</c> (<see cref="StreamHeartbeat"/>).
    /// Each brief's event id is its change's position and that position's epoch (<see cref="BriefStreamReplay"/>, <see cref="BriefStreamEpochs"/>): a client that reconnects with the
    /// last it had, as every SSE client does (<c>Last-Event-ID</c>, or <paramref name="lastEventId"/> for a client that
    /// cannot set it; the header wins, as an EventSource reconnects with the header and its first URL), is first sent what
    /// it missed, then the live briefs, none twice and none skipped at the seam; an id it cannot place, <c>event: resync</c>.
    /// </summary>
    public static Results<ServerSentEventsResult<object>, ProblemHttpResult> Stream(BriefStore store, BriefDisclosure disclosure, AccountAssignments accounts, Credentials credentials,
        StreamSlots slots, IOptions<AuthOptions> options, TimeProvider time, IHostApplicationLifetime lifetime, SqliteDatabase database, BriefStreamEpochs epochs, HttpContext context,
        string? lastEventId, CancellationToken cancellationToken)
    {
        var caller = Caller.From(context.User);
        var (slot, refusal) = slots.TryTake(caller);
        if (slot is null)
        {
            context.Response.Headers.RetryAfter = ((int)StreamSlots.RetryAfter.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return refusal!;
        }
        // Given back when the request ends, however it ends: the stream ending, the client leaving (before the first brief
        // too), the server stopping, an error.
        context.Response.RegisterForDispose(slot);
        var queue = new BriefStreamQueue(b => BriefStore.IsVisible(b, caller, accounts));
        // A CSM's accounts, held by the stream: another account's brief takes no place in their queue and no read of theirs
        // (each used to be queued and looked up, so a busy server's other accounts overflowed a CSM who read promptly: qa35b).
        // Read before the stream subscribes, kept up to date by the assignments' changes; disposed when the request ends.
        var mine = caller.ScopedToAccounts ? new StreamAccounts(accounts, caller.Name) : null;
        if (mine is not null)
            context.Response.RegisterForDispose(mine);
        void OnChanged(Brief b, long seq, long position)
        {
            // A CSM never sees a brief in another state (IsVisible), whatever their accounts: it takes no place in their queue.
            if (b.Status != BriefStatus.Shadow && (mine is null || (b.Status is BriefStatus.Delivered or BriefStatus.Retracted && mine.Contains(b.CustomerId))))
                queue.Add(b, seq, position);
        }
        store.Changed += OnChanged;
        // When the request ends, however it ends: the stream ending, the client leaving, its items never asked for.
        context.Response.RegisterForDispose(new Unsubscribe(() => store.Changed -= OnChanged));
        context.Response.RegisterForDispose(new CloseWhenStopping(context, lifetime.ApplicationStopping, time));
        context.Response.Headers.CacheControl = "no-cache";
        var heartbeat = options.Value.Streams.Heartbeat;
        var resumeFrom = context.Request.Headers["Last-Event-ID"].ToString() is { Length: > 0 } header ? header
            : string.IsNullOrEmpty(lastEventId) ? null : lastEventId;
        return TypedResults.ServerSentEvents(Items(cancellationToken));

        async IAsyncEnumerable<SseItem<object>> Items([EnumeratorCancellation] CancellationToken ct)
        {
            // HEAD: the headers are the whole answer.
            if (Server.HeadRequests.IsHead(context))
            {
                await context.Response.Body.FlushAsync(ct);
                yield break;
            }
            // Read after the queue was subscribed: what committed before is in this read, what commits after in the queue,
            // which leaves out what this read sent. Read before the headers are sent: a client that has them is subscribed,
            // and a brief committed after that is past the read's head (read after the headers, a brief a fresh stream's
            // client caused once it had them could commit before the read and be skipped: sent by neither).
            var replay = BriefStreamReplay.Read(database, epochs, caller, resumeFrom);
            queue.SkipThrough(replay.Head);
            // Send the 200 and headers now: a client must know it is subscribed before the first brief.
            await context.Response.Body.FlushAsync(ct);
            if (replay.Resync is { } resync)
                yield return new SseItem<object>(resync, "resync") { EventId = epochs.EventId(replay.Head) };
            foreach (var item in replay.Items)
            {
                if (!await credentials.StillValidAsync(context.Request, caller))
                    yield break;
                if (Event(item) is { } sent)
                    yield return sent;
            }
            // The position through which the stream has sent what the caller may see: a replay after it misses nothing.
            var through = replay.Head;
            var stopping = lifetime.ApplicationStopping;
            var lastSent = time.GetTimestamp();
            var gained = false;
            while (!stopping.IsCancellationRequested && await credentials.StillValidAsync(context.Request, caller))
            {
                // Another process gave the CSM an account (agentcrm csms accounts set): its briefs committed since were left
                // out of the queue, so what the CSM may see past the last position sent is read again, as for a reconnect.
                if (gained || mine?.ChangedElsewhere() == true)
                {
                    gained = false;
                    var missed = BriefStreamReplay.ReadAfter(database, epochs, caller, through);
                    queue.SkipThrough(missed.Head);
                    foreach (var item in missed.Items)
                    {
                        if (!await credentials.StillValidAsync(context.Request, caller))
                            yield break;
                        if (Event(item) is { } sent)
                            yield return sent;
                    }
                    through = missed.Head;
                    lastSent = time.GetTimestamp();
                    continue;
                }
                var quiet = time.GetElapsedTime(lastSent);
                if (quiet >= heartbeat)
                {
                    yield return new SseItem<object>(new StreamHeartbeat(time.GetUtcNow()), "heartbeat");
                    lastSent = time.GetTimestamp();
                    continue;
                }
                if (!await BriefArrivedAsync(queue, TimeSpan.FromTicks(Math.Min(StreamCredentialRecheck.Ticks, (heartbeat - quiet).Ticks)), time, ct, stopping))
                    continue;
                while (queue.HasNext)
                {
                    if (!await credentials.StillValidAsync(context.Request, caller))
                        yield break;
                    // Asked before the position moves past a brief the old accounts left out of the queue.
                    if (mine?.ChangedElsewhere() == true)
                    {
                        gained = true;
                        break;
                    }
                    var next = queue.Take();
                    through = Math.Max(through, next.Position);
                    if (Event(next) is not { } sent)
                        continue;
                    yield return sent;
                    lastSent = time.GetTimestamp();
                }
            }
        }

        SseItem<object>? Event(StreamItem item) => item switch
        {
            { Overflow: { } overflow } => new SseItem<object>(overflow, "overflow") { EventId = epochs.EventId(item.Position) },
            { Brief: { } b } when BriefStore.IsVisible(b, caller, accounts) =>
                new SseItem<object>(disclosure.AsSeenBy(b, caller), "brief") { EventId = epochs.EventId(item.Position) },
            _ => null,
        };
    }

    private sealed class Unsubscribe(Action unsubscribe) : IDisposable
    {
        public void Dispose() => unsubscribe();
    }

    /// <summary>How long a stream has, once the server stops, to end by itself before its connection is closed.</summary>
    public static readonly TimeSpan StreamStopGrace = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The stream ends by itself when the server stops, unless a write is pending: a client that stopped reading (its
    /// socket buffers full) leaves the write waiting for the connection to close, and the stream held the stop up for the
    /// host's whole shutdown timeout, cutting the actors' drain short (qa28b: 30.5 s and "501 activations left"). Such a
    /// stream's connection is closed <see cref="StreamStopGrace"/> after the stop began. Disposed when the request ends, so
    /// a context a later request reuses is never aborted.
    /// </summary>
    private sealed class CloseWhenStopping : IDisposable
    {
        private readonly Lock _gate = new();
        private readonly HttpContext _context;
        private readonly CancellationTokenRegistration _stopping;
        private ITimer? _timer;
        private bool _ended;

        public CloseWhenStopping(HttpContext context, CancellationToken stopping, TimeProvider time)
        {
            _context = context;
            _stopping = stopping.Register(() =>
            {
                lock (_gate)
                    if (!_ended)
                        _timer = time.CreateTimer(_ => Close(), null, StreamStopGrace, Timeout.InfiniteTimeSpan);
            });
        }

        private void Close()
        {
            lock (_gate)
                if (!_ended)
                    _context.Abort();
        }

        public void Dispose()
        {
            lock (_gate)
            {
                _ended = true;
                _timer?.Dispose();
            }
            _stopping.Dispose();
        }
    }

    /// <summary>Waits until a brief can be read or <paramref name="wait"/> passes or the server stops (false); the client leaving cancels.</summary>
    private static async Task<bool> BriefArrivedAsync(BriefStreamQueue queue, TimeSpan wait, TimeProvider time, CancellationToken ct, CancellationToken stopping)
    {
        using var timeout = new CancellationTokenSource(wait, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token, stopping);
        try
        {
            return await queue.WaitToReadAsync(linked.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return false;
        }
    }

    public static Results<Ok<BriefPage>, ProblemHttpResult> List(BriefStore store, BriefDisclosure disclosure, BriefResponseStore responses, AccountAssignments accounts, HttpContext context,
        string? customerId, string? agentId, string? scenario, [OpenApiValues(typeof(BriefStatus))] string? status, string? since,
        [OpenApiValues("true", "false")] string? acknowledged, string? limit, string? cursor)
    {
        var errors = new Dictionary<string, string[]>();
        bool? parsedAcknowledged = acknowledged switch
        {
            null => null,
            "true" => true,
            "false" => false,
            _ => null,
        };
        if (acknowledged is not null && parsedAcknowledged is null)
            errors["acknowledged"] = ["acknowledged is true (briefs you acknowledged) or false (briefs you have not)."];
        BriefStatus? parsedStatus = null;
        if (status is not null)
        {
            if (Enum.GetValues<BriefStatus>().FirstOrDefault(s => BriefStore.StatusName(s) == status) is var s && BriefStore.StatusName(s) == status)
                parsedStatus = s;
            else
                errors["status"] = [$"Unknown status '{status}'; allowed: {string.Join(", ", Enum.GetValues<BriefStatus>().Select(BriefStore.StatusName))}."];
        }
        if (agentId is not null && !ManifestReader.IsValidId(agentId))
            errors["agentId"] = [$"agentId '{Problems.Clip(agentId, 80)}' is no agent id: {ManifestReader.IdRule}."];
        var parsedSince = Paging.Since(since, errors);
        var (take, after) = Paging.Read(limit, cursor, Paging.Briefs, errors);
        if (errors.Count > 0)
            return Problems.Validation(errors);
        var caller = Caller.From(context.User);
        // As GET /v1/customers/{id} (API.md: 403 with the wrong account): an empty page would read as "no briefs for them".
        if (customerId is not null && !accounts.CanRead(caller, customerId))
        {
            var refused = $"Customer '{customerId}' is not one of your accounts.";
            return Problems.Validation(new Dictionary<string, string[]> { ["customerId"] = [refused] }, StatusCodes.Status403Forbidden, refused);
        }
        return TypedResults.Ok(responses.WithResponses(disclosure.AsConsented(store.Query(new BriefQuery(customerId, agentId, scenario, parsedStatus, parsedSince, take, after)
        {
            VisibleTo = caller,
            Acknowledged = parsedAcknowledged,
        })), caller));
    }

    public static Results<Ok<BriefEvidence>, ProblemHttpResult> Evidence(string id, BriefStore briefs, BriefDisclosure disclosure, EventStore events, AccountAssignments accounts,
        ConsentStore consent, AgentRegistry registry, TimeProvider time, HttpContext context, ILogger<BriefEvidence> logger)
    {
        if (briefs.Get(id) is not { } stored)
            return Problems.NotFound($"No brief '{id}'.");
        if (Refusal(id, stored, Caller.From(context.User), accounts) is { } refused)
            return refused;
        // The snapshot fields and reasons as the consent in force now lets them name the customer, as the brief itself reads.
        var b = disclosure.AsConsented(stored);
        // The events the reasons cite, which the agent read through fields its consent allowed. Not the triggering event as
        // such: an agent runs on every event type it subscribes to, so the trigger may hold data the customer withholds for
        // the agent's purpose (an NPS score and comment for an agent allowed only usage); its id is in triggerEventId.
        // A cited event is shown only when the customer's consent for the agent's purpose covers its type's category: an
        // activity count cites the events it counted, whose bodies hold more (an NPS event's score and comment).
        var ids = b.Reasons.SelectMany(r => r.EventIds);
        var policy = consent.For(b.CustomerId);
        var purpose = registry.TryFind(b.AgentId, b.AgentVersion)?.Manifest.Purpose;
        var now = time.GetUtcNow();
        // A cited event whose stored body cannot be read (a dead letter until repaired) is left out, said in the log.
        List<JsonElement> shown = purpose is null ? [] : events.GetRaw(ids, b.CustomerId, u => LogUnreadableEvidence(logger, u.EventId, u.Seq, b.Id, u.Error))
            .Where(e => e.TryGetProperty("type", out var t) && t.GetString() is { } type && policy.AllowsEvent(purpose, type, now)).ToList();
        return TypedResults.Ok(new BriefEvidence(b.Id, b.CustomerId, b.AgentId, b.AgentVersion, b.ContentHash, b.Score, b.Threshold, b.AsOf,
            b.TriggerEventId, b.Inputs, b.Reasons, b.Citations, shown));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Event {CrmEventId} (seq {Seq}), cited by brief {BriefId}, is left out of its evidence: its stored body cannot be read as an event ({Reason}); repair the row's body in the events table")]
    private static partial void LogUnreadableEvidence(ILogger logger, string crmEventId, long seq, string briefId, string reason);
}
