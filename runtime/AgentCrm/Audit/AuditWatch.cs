using System.Diagnostics.Metrics;
using AgentCrm.Customers;

namespace AgentCrm.Audit;

/// <summary>
/// Verifies the audit log in the background a minute after the server has started, and again every <see cref="Interval"/>: a broken
/// chain, or rows that differ from their records, is logged as a warning and shown by the gauge <c>agentcrm.audit.intact</c>
/// (1 intact, 0 not, -1 until a pass has ended) instead of waiting for someone to run verify. Any verify (the API's too)
/// updates the gauge. A pass reads the whole log and the briefs and keys it vouches for, in one read transaction.
/// </summary>
internal sealed partial class AuditWatch(AuditLog audit, IMeterFactory meters, IHostApplicationLifetime lifetime, TimeProvider time,
    Microsoft.Extensions.Options.IOptions<AuditOptions> options,
    ILogger<AuditWatch> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromHours(6);

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        meters.Create(RuntimeMetrics.MeterName).CreateObservableGauge("agentcrm.audit.intact",
            () => audit.LastVerification is { } last ? (last.Ok ? 1 : 0) : -1,
            description: "1 when the latest audit verify (in the background after start and every 6 hours, or over the API) found the log intact and matching the briefs and keys, 0 when not, -1 before one has ended.");
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await WatchAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopped — also before the start completed (a port in use): nothing to report, and no stack trace on the console.
        }
    }

    private async Task WatchAsync(CancellationToken stoppingToken)
    {
        // After the start (the registry's built-in agents, recovered knowledge records): not competing with it for the disk.
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
            await started.Task.WaitAsync(stoppingToken);
        // Audit:BackgroundVerifyDelay (checked at start): past the start's own work and first requests.
        await Task.Delay(options.Value.BackgroundVerifyDelay, time, stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var began = time.GetTimestamp();
                var pass = await audit.VerifyAsync().WaitAsync(stoppingToken);
                if (pass.Ok)
                    LogIntact(pass.Records, time.GetElapsedTime(began).TotalSeconds);
                else
                    LogBroken(pass.Problem!);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // One line naming the cause, as the other operational warnings: a stack trace every 6 hours tells an operator nothing more.
                LogFailed(ex.Message.TrimEnd('.'));
            }
            await Task.Delay(Interval, time, stoppingToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Audit log verified in the background: intact, {Records} records ({Seconds:F1} s).")]
    private partial void LogIntact(long records, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Audit log verified in the background: {Problem} (agentcrm audit verify --json lists every difference; README, \"What the log vouches for\").")]
    private partial void LogBroken(string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The background audit verify could not run ({Reason}); it runs again in 6 hours.")]
    private partial void LogFailed(string reason);
}
