using AgentCrm.Knowledge.Stores.Qdrant;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentCrm.Knowledge.Tests.Qdrant;

/// <summary>
/// A stateful fake Qdrant on loopback per test, Qdrant stores over it (collection <see cref="Collection"/>), and what a
/// test owns (data directories, services), disposed in reverse order before the fake stops.
/// </summary>
public abstract class FakeQdrantTestBase : IAsyncLifetime
{
    protected const string Collection = "kb";

    private readonly List<IDisposable> _owned = [];

    private protected FakeQdrantServer Qdrant { get; private set; } = null!;

    public async Task InitializeAsync() => Qdrant = await FakeQdrantServer.StartAsync();

    public async Task DisposeAsync()
    {
        foreach (var owned in Enumerable.Reverse(_owned))
            owned.Dispose();
        await Qdrant.DisposeAsync();
    }

    /// <summary>Disposes <paramref name="owned"/> when the test ends.</summary>
    protected T Own<T>(T owned) where T : IDisposable
    {
        _owned.Add(owned);
        return owned;
    }

    protected QdrantKnowledgeStore Store() => new(
        new PlainHttpClientFactory(),
        new QdrantOptions { Url = Qdrant.Url, Collection = Collection, Timeout = TimeSpan.FromSeconds(30) },
        NullLogger.Instance,
        TimeProvider.System,
        new QdrantRetry(0, TimeSpan.Zero));

    private sealed class PlainHttpClientFactory : IHttpClientFactory
    {
        public HttpClient CreateClient(string name) => new() { Timeout = Timeout.InfiniteTimeSpan };
    }
}
