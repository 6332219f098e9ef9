using AgentCrm.Cli;
using AgentCrm.Server;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AgentCrm.Runtime.Tests.Server;

/// <summary>
/// A background service that failed stopped the server, and serve exited 0 as after a stop it was asked for, so systemd's
/// Restart=on-failure did not restart it (qa fix31s): serve's run tells the failure, in one line naming the service.
/// </summary>
public sealed class BackgroundFailureExitTests
{
    /// <summary>Fails during the start (before Kestrel listens, which the host's stop then cuts short).</summary>
    private sealed class FailsAtOnce : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            await Task.Yield();
            throw new InvalidOperationException("the disk went away");
        }
    }

    /// <summary>Fails once the server has started.</summary>
    private sealed class FailsLater(IHostApplicationLifetime lifetime) : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            var started = new TaskCompletionSource();
            using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
                await started.Task.WaitAsync(stoppingToken);
            await Task.Delay(TimeSpan.FromMilliseconds(200), stoppingToken);
            throw new InvalidOperationException("the disk went away");
        }
    }

    private static Microsoft.AspNetCore.Builder.WebApplication Build(Action<IServiceCollection>? configure = null) =>
        AgentCrmServer.Build([], new Dictionary<string, string?>
        {
            ["Storage:DataDirectory"] = TempDirectory.Create(),
            ["Storage:Synchronous"] = "Normal",
            ["Knowledge:IngestBundled"] = "false",
            ["urls"] = "http://127.0.0.1:0",
        }, configure);

    [Theory]
    [InlineData(nameof(FailsAtOnce))]
    [InlineData(nameof(FailsLater))]
    public async Task AServiceThatFails_StopsTheServer_WithALineNamingIt(string service)
    {
        var app = Build(services =>
        {
            if (service == nameof(FailsAtOnce))
                services.AddHostedService<FailsAtOnce>();
            else
                services.AddHostedService<FailsLater>();
        });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var problem = await ServeCommand.RunUntilStoppedAsync(app, timeout.Token);
        Assert.False(timeout.IsCancellationRequested, "the server did not stop when its background service failed");
        Assert.Equal($"the server stopped because its background service {service} failed: the disk went away "
            + "(InvalidOperationException; the log above has the stack trace).", problem);
    }

    [Fact]
    public async Task AStopThatWasAskedFor_IsNoFailure()
    {
        var app = Build();
        using var stop = new CancellationTokenSource();
        app.Lifetime.ApplicationStarted.Register(() => stop.CancelAfter(TimeSpan.FromMilliseconds(500)));
        Assert.Null(await ServeCommand.RunUntilStoppedAsync(app, stop.Token));
    }
}
