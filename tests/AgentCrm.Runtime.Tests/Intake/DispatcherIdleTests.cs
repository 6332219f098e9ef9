using System.Runtime.ExceptionServices;

namespace AgentCrm.Runtime.Tests.Intake;

/// <summary>An idle or waiting dispatcher throws nothing: ops read exceptions per second (dotnet_exceptions_total) as trouble.</summary>
public sealed class DispatcherIdleTests
{
    [Fact]
    public async Task IdleDispatcher_WaitsWithoutThrowing()
    {
        await using var app = await AgentCrmApp.StartAsync();
        await app.PostEventsAsync([Ev.Make("idle-1", "login", DateTimeOffset.UtcNow.AddMinutes(-1))]);
        await app.WaitForProcessingAsync();
        var thrown = 0;
        void Count(object? sender, FirstChanceExceptionEventArgs e)
        {
            // Any app's dispatcher in this process: none may time its waits out with an exception.
            if (e.Exception is OperationCanceledException && Environment.StackTrace.Contains("EventDispatcher.WaitForWorkAsync", StringComparison.Ordinal))
                Interlocked.Increment(ref thrown);
        }

        AppDomain.CurrentDomain.FirstChanceException += Count;
        try
        {
            // The idle wait times out once a second.
            await Task.Delay(TimeSpan.FromSeconds(2.5));
        }
        finally
        {
            AppDomain.CurrentDomain.FirstChanceException -= Count;
        }

        Assert.Equal(0, Volatile.Read(ref thrown));
    }
}
