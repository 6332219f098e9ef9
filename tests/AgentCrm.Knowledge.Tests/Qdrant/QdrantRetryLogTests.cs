using AgentCrm.Knowledge.Stores.Qdrant;
using Microsoft.Extensions.Logging;

namespace AgentCrm.Knowledge.Tests.Qdrant;

/// <summary>A retry's delay was logged as a TimeSpan, shown quoted in the text log (<c>retrying in "00:00:00.2000000"</c>): now in seconds, a number.</summary>
public sealed class QdrantRetryLogTests
{
    private sealed class Captured : ILogger
    {
        public List<string> Messages { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Messages.Add(formatter(state, exception));
    }

    [Fact]
    public void ARetry_LogsItsDelayInSeconds()
    {
        var logger = new Captured();
        logger.Retrying("upsert", 2, "503", TimeSpan.FromMilliseconds(200).TotalSeconds);
        Assert.Equal("Qdrant upsert attempt 2 failed (503); retrying in 0.2 s", Assert.Single(logger.Messages));
    }
}
