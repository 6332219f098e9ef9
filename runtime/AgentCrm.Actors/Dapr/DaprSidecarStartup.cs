using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AgentCrm.Dapr;

/// <summary>
/// Waits for daprd at start, in the background: the app's port must open meanwhile, because daprd waits
/// for it before reading /dapr/config (sheet §2.1). Calls made before daprd is ready wait for it too.
/// </summary>
internal sealed partial class DaprSidecarStartup(DaprSidecarClient sidecar, IOptions<DaprOptions> options, ILogger<DaprSidecarStartup> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Without the token the actor and pub/sub routes trust the loopback: anything on this host reaches them (a reverse
        // proxy in front of the app makes every client look local).
        if (options.Value.AppApiToken is null)
            LogNoAppToken();
        try
        {
            await sidecar.SidecarReady.WaitAsync(stoppingToken).ConfigureAwait(false);
            LogReady();
        }
        catch (DaprApiException ex)
        {
            LogNotReady(ex.Message);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "APP_API_TOKEN (Dapr:AppApiToken) is not set: the Dapr routes (/actors, /dapr) take any call from this machine's loopback, a reverse proxy on this host included, which can read any customer's snapshot through them. Set the token (daprd sends it) in production")]
    private partial void LogNoAppToken();

    [LoggerMessage(Level = LogLevel.Information, Message = "daprd is ready")]
    private partial void LogReady();

    [LoggerMessage(Level = LogLevel.Error, Message = "{Reason}")]
    private partial void LogNotReady(string reason);
}
