using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Actors.Tests.Actors;

/// <summary>A real host built the way the server builds it, on its own data directory.</summary>
internal sealed class TestHost : IAsyncDisposable
{
    private TestHost(ServiceProvider services, Probe probe)
    {
        Services = services;
        Probe = probe;
        Host = services.GetRequiredService<EmbeddedActorHost>();
    }

    public ServiceProvider Services { get; }

    public EmbeddedActorHost Host { get; }

    public Probe Probe { get; }

    /// <summary>Builds a host; <paramref name="start"/> false leaves reminder polling and idle sweeps to the test.</summary>
    public static async Task<TestHost> StartAsync(
        TestDirectory directory,
        TimeProvider? time = null,
        Probe? probe = null,
        IReadOnlyDictionary<string, string?>? settings = null,
        bool start = true)
    {
        probe ??= new Probe();
        var host = new TestHost(BuildServices(directory, time, probe, settings), probe);
        if (start)
            await host.Host.StartAsync(CancellationToken.None);
        return host;
    }

    public static ServiceProvider BuildServices(TestDirectory directory, TimeProvider? time, Probe probe, IReadOnlyDictionary<string, string?>? settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Storage:DataDirectory"] = directory.Path,
                // Durability across a process crash is SQLite's; these tests need commits that survive a host, not a power cut.
                ["Storage:Synchronous"] = "Normal",
            })
            .AddInMemoryCollection(settings ?? new Dictionary<string, string?>())
            .Build();
        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddLogging()
            .AddSingleton(probe);
        if (time is not null)
            services.AddSingleton(time);
        services.AddEmbeddedActorHost();
        services.AddActor<ProbeActor>(ProbeActor.TypeName, ProbeActor.Methods);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    public Task<object?> InvokeAsync(ActorId id, string method, object? argument = null) => Host.InvokeAsync(id, method, argument);

    public async ValueTask DisposeAsync() => await Services.DisposeAsync();
}
