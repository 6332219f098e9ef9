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
    private readonly StreamLimits _limits;
    private readonly Counter<long> _refused;
    private int _total;

    public StreamSlots(IOptions<AuthOptions> options, IMeterFactory meters)
    {
        _limits = options.Value.Streams;
        var meter = meters.Create(RuntimeMetrics.MeterName);
        meter.CreateObservableGauge("agentcrm.streams.open", () => Open, description: "Brief streams open (GET /v1/briefs/stream).");
        _refused = meter.CreateCounter<long>("agentcrm.streams.refused",
            description: "Brief streams refused with 429, by the limit reached: per_credential (Auth:Streams:MaxPerCredential) or total (Auth:Streams:MaxTotal).");
        // Exported as 0 from the start: a counter appears in a scrape only once something was added to it.
        _refused.Add(0, PerCredentialTag);
        _refused.Add(0, TotalTag);
    }

    private static KeyValuePair<string, object?> PerCredentialTag => new("limit", "per_credential");

    private static KeyValuePair<string, object?> TotalTag => new("limit", "total");

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
        lock (_gate)
        {
            var held = _open.GetValueOrDefault(key);
            if (held >= _limits.MaxPerCredential)
            {
                _refused.Add(1, PerCredentialTag);
                return (null, Refused($"This credential already holds {_limits.MaxPerCredential} open brief streams, the most Auth:Streams:MaxPerCredential allows; close one and retry.",
                    _limits.MaxPerCredential, "Auth:Streams:MaxPerCredential"));
            }
            if (_total >= _limits.MaxTotal)
            {
                _refused.Add(1, TotalTag);
                return (null, Refused($"The server already holds {_limits.MaxTotal} open brief streams, the most Auth:Streams:MaxTotal allows; retry later.",
                    _limits.MaxTotal, "Auth:Streams:MaxTotal"));
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
