namespace AgentCrm.Briefs;

/// <summary>
/// Clears the review queue's rows of veto windows that have closed (<see cref="BriefStore.SweepClosedWindowsAsync"/>):
/// at start (windows that closed while the server was stopped), then every <see cref="Interval"/>, so a queue page walks
/// at most the windows closed since the last sweep. A sweep that fails (storage) is tried again at the next tick.
/// </summary>
internal sealed partial class ReviewWindowSweep(BriefStore briefs, TimeProvider time, ILogger<ReviewWindowSweep> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            do
            {
                try
                {
                    await briefs.SweepClosedWindowsAsync(stoppingToken);
                }
                // Anything but the stop (a cancellation from elsewhere too): an exception leaving ExecuteAsync stops the host.
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    LogSweepFailed(ex);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping (also when the host failed to start and is disposed): not a failure.
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Clearing closed veto windows from the review queue failed; trying again in a minute")]
    private partial void LogSweepFailed(Exception exception);
}
