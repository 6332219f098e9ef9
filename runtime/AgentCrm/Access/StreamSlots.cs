using System.Diagnostics.Metrics;
using AgentCrm.Customers;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace AgentCrm.Access;

/// <summary>
/// The long-lived responses (the brief stream) each credential holds open, at most <c>Auth:Streams:MaxPerCredential</c>,
/// and the server holds in all, at most <c>Auth:Streams:MaxTotal</c>. One CSM key held 1,500 streams open (13 MB, and
/// every brief offered to each on the writer's thread) and nothing stopped it. A credential is what the rate limit counts
/// by: <see cref="Caller.AuditActor"/> (<c>key:NAME</c>, <c>jwt:SUBJECT</c>).
/// </summary>
public sealed class StreamSlots
{
    /// <summary>The <c>Retry-After</c> of a refusal: a slot frees only when a stream ends, which its client decides; the web console retries this often.</summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(5);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, int> _open = new(StringComparer.Ordinal);
    private readonly IOptions<AuthOptions> _options;
    private int _total;
    private long _refusedPerCredential, _refusedTotal;

    public StreamSlots(IOptions<AuthOptions> options, IMeterFactory meters)
    {
        // Read when a stream asks, not here: this is built with the app (its instruments exported from the start), before
        // the start validates every section's settings at once.
        _options = options;
        var meter = meters.Create(RuntimeMetrics.MeterName);
        meter.CreateObservableGauge("agentcrm.streams.open", () => Open, description: "Brief streams open (GET /v1/briefs/stream).");
        // Observed rather than added to: read at each collection, so both series are there from the start, at 0, whenever the
        // exporter began listening (an Add before it did would be lost).
        meter.CreateObservableCounter("agentcrm.streams.refused", Refusals,
            description: "Brief streams refused with 429, by the limit reached: per_credential (Auth:Streams:MaxPerCredential) or total (Auth:Streams:MaxTotal).");
    }

    private IEnumerable<Measurement<long>> Refusals() =>
    [
        new(Interlocked.Read(ref _refusedPerCredential), new KeyValuePair<string, object?>("limit", "per_credential")),
        new(Interlocked.Read(ref _refusedTotal), new KeyValuePair<string, object?>("limit", "total")),
    ];

    /// <summary>Streams open on the server.</summary>
    public int Open
    {
        get
        {
            lock (_gate)
                return _total;
        }
    }

    /// <summary>Streams <paramref name="caller"/>'s credential holds open.</summary>
    public int OpenFor(Caller caller)
    {
        lock (_gate)
            return _open.GetValueOrDefault(caller.AuditActor);
    }

    /// <summary>
    /// A slot for one more stream of <paramref name="caller"/>'s credential, given back when disposed (once, however often
    /// disposed); or, at a limit, the 429 to answer, naming the limit and its setting.
    /// </summary>
    public (IDisposable? Slot, ProblemHttpResult? Refusal) TryTake(Caller caller)
    {
        var key = caller.AuditActor;
        var limits = _options.Value.Streams;
        lock (_gate)
        {
            var held = _open.GetValueOrDefault(key);
            if (held >= limits.MaxPerCredential)
            {
                Interlocked.Increment(ref _refusedPerCredential);
                return (null, Refused($"This credential already holds {limits.MaxPerCredential} open brief streams, the most Auth:Streams:MaxPerCredential allows; close one and retry.",
                    limits.MaxPerCredential, "Auth:Streams:MaxPerCredential"));
            }
            if (_total >= limits.MaxTotal)
            {
                Interlocked.Increment(ref _refusedTotal);
                return (null, Refused($"The server already holds {limits.MaxTotal} open brief streams, the most Auth:Streams:MaxTotal allows; retry later.",
                    limits.MaxTotal, "Auth:Streams:MaxTotal"));
            }
            _open[key] = held + 1;
            _total++;
        }
        return (new Slot(this, key), null);
    }

    private void Give(string key)
    {
        lock (_gate)
        {
            _total--;
            if (_open[key] == 1)
                _open.Remove(key);
            else
                _open[key]--;
        }
    }

    private static ProblemHttpResult Refused(string detail, int limit, string setting) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status429TooManyRequests, title: Server.Problems.TitleFor(StatusCodes.Status429TooManyRequests),
            type: "https://tools.ietf.org/html/rfc6585#section-4", extensions: new Dictionary<string, object?> { ["limit"] = limit, ["setting"] = setting });

    private sealed class Slot(StreamSlots slots, string key) : IDisposable
    {
        private int _given;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _given, 1) == 0)
                slots.Give(key);
        }
    }
}
