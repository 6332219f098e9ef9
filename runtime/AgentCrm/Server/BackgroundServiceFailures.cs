namespace AgentCrm.Server;

/// <summary>
/// Which of the server's background services ended in a fault. A fault stops the host (.NET's default
/// <see cref="BackgroundServiceExceptionBehavior.StopHost"/>), whose RunAsync then returns as after a clean stop (.NET 10): the
/// stop is told from the services' own tasks (<see cref="BackgroundService.ExecuteTask"/>), so that serve exits 1 and a
/// supervisor (systemd's <c>Restart=on-failure</c>) sees a failure, not a stop it was asked for.
/// </summary>
internal sealed class BackgroundServiceFailures
{
    private volatile string? _problem;

    /// <summary>
    /// Watches <paramref name="app"/>'s background services from when it begins to stop: a failure stops it then, also one during
    /// the start (which it cuts short), and every service has been made by then (the host makes them all before starting any).
    /// </summary>
    public static BackgroundServiceFailures Watch(IHost app)
    {
        var failures = new BackgroundServiceFailures();
        var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
        // Read while the services are there (after RunAsync the provider is disposed), and when the stop begins: a fault that
        // stopped the host has happened by then, and one while a stop that was asked for runs (a SIGTERM) did not cause it.
        lifetime.ApplicationStopping.Register(() =>
        {
            try
            {
                failures._problem = ProblemOf(app.Services.GetServices<IHostedService>().OfType<BackgroundService>());
            }
            catch (ObjectDisposedException)
            {
                // Stopped after the provider was disposed: no service ran.
            }
        });
        return failures;
    }

    /// <summary>
    /// One line for the first background service that failed (its type and the exception's message; the log above has its
    /// stack trace), or null when none had when the stop began (a fault during a stop that was asked for did not cause it). A service cancelled by the stop has not failed.
    /// </summary>
    public string? Problem() => _problem;

    private static string? ProblemOf(IEnumerable<BackgroundService> services)
    {
        foreach (var service in services)
            if (service.ExecuteTask is { IsFaulted: true } task)
            {
                var error = task.Exception!.GetBaseException();
                return $"the server stopped because its background service {service.GetType().Name} failed: {error.Message} ({error.GetType().Name}; the log above has the stack trace).";
            }
        return null;
    }
}
