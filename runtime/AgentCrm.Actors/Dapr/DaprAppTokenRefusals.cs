using AgentCrm.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AgentCrm.Dapr;

/// <summary>
/// Says in the log why the Dapr routes refused a call (<see cref="DaprActorsApi.CheckAppToken"/>). A daprd whose APP_API_TOKEN
/// differs gets 401 on <c>GET /dapr/config</c>, then hosts no actors without a word (sheet §2.1), and every delivery it makes
/// is refused too: only the app knows why (qa45c L4). One line per reason and interval, with the count of refusals not
/// logged, as for the other repeated warnings; never the tokens.
/// </summary>
internal sealed partial class DaprAppTokenRefusals(ILogger<DaprAppTokenRefusals> logger, TimeProvider time)
{
    private readonly LogThrottle _log = new(TimeSpan.FromSeconds(10), time);

    public void Refused(HttpContext context, string reason)
    {
        if (_log.ShouldLog(reason, out var unlogged))
            LogRefused(context.Request.Method, context.Request.Path, context.Connection.RemoteIpAddress?.ToString() ?? "an unknown address", reason, unlogged, _log.Interval.TotalSeconds);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused {Method} {Path} from {Remote} (401): {Reason} ({Unlogged} more refused for this reason since the last line; logged at most once per {Interval} s)")]
    private partial void LogRefused(string method, string path, string remote, string reason, int unlogged, double interval);
}
