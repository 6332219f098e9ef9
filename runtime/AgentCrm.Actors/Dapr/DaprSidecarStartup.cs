using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AgentCrm.Dapr;

/// <summary>
/// Waits for daprd at start, in the background: the app's port must open meanwhile, because daprd waits
/// for it before reading /dapr/config (sheet §2.1). Calls made before daprd is ready wait for it too.
/// </summary>
internal sealed partial class DaprSidecarStartup(DaprSidecarClient sidecar, ILogger<DaprSidecarStartup> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
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

    [LoggerMessage(Level = LogLevel.Information, Message = "daprd is ready")]
    private partial void LogReady();

    [LoggerMessage(Level = LogLevel.Error, Message = "{Reason}")]
    private partial void LogNotReady(string reason);
}
