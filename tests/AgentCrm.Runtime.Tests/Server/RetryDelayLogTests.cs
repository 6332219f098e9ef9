using Microsoft.Extensions.Logging;

namespace AgentCrm.Runtime.Tests.Server;

/// <summary>
/// Retry delays were logged as TimeSpans, which the text log showed quoted (<c>retrying in "00:00:00.2000000"</c>): they are
/// logged in seconds, a number (qa fix31s).
/// </summary>
public sealed class RetryDelayLogTests
{
    /// <summary>Each entry's message as Microsoft.Extensions.Logging formats it, and its properties.</summary>
    internal sealed class Captured : ILogger
    {
        public List<(string Message, IReadOnlyList<KeyValuePair<string, object?>> Properties)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Add((formatter(state, exception), state as IReadOnlyList<KeyValuePair<string, object?>> ?? []));
    }

    [Fact]
    public void ADaprPublishRetry_LogsItsDelayInSeconds()
    {
        var logger = new Captured();
        AgentCrm.Intake.DaprEventPublisher.LogPublishFailed(logger, "e-1", "connection refused", TimeSpan.FromMilliseconds(200).TotalSeconds, 0, 10);
        var (message, properties) = Assert.Single(logger.Entries);
        Assert.Equal("Publishing event e-1 to Dapr pub/sub failed (connection refused); retrying in 0.2 s (0 more failed publishes for this reason since the last line; logged at most once per 10 s)", message);
        Assert.Contains(properties, p => p.Key == "DelaySeconds" && p.Value is double);
    }

    [Fact]
    public void ADrainThatTimedOut_LogsItsTimeoutInSeconds()
    {
        var logger = new Captured();
        AgentCrm.Actors.ActorLog.DrainTimedOut(logger, TimeSpan.FromSeconds(30).TotalSeconds, 3);
        Assert.StartsWith("Actor host drain timed out after 30 s with 3 activations left", Assert.Single(logger.Entries).Message, StringComparison.Ordinal);
    }
}
