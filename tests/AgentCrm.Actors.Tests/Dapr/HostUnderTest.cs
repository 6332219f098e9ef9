using AgentCrm.Actors.Tests.Actors;
using AgentCrm.Dapr;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AgentCrm.Actors.Tests.Dapr;

/// <summary>One actor host as the behaviour suite drives it: calls, the runtime's own events (reminders, timers, deactivation), restarts.</summary>
internal interface IHostUnderTest : IAsyncDisposable
{
    Probe Probe { get; }

    int ActiveActivations { get; }

    Task<object?> InvokeAsync(ActorId id, string method, object? argument = null);

    /// <summary>Moves the clock; timers due by then fire.</summary>
    Task AdvanceAsync(TimeSpan by);

    /// <summary>Fires the reminders due now; returns how many turns succeeded.</summary>
    Task<int> FireDueRemindersAsync();

    Task<bool> DeactivateAsync(ActorId id);

    /// <summary>Stops this host and starts a new one on the same durable state.</summary>
    Task<IHostUnderTest> RestartAsync();
}

internal sealed class EmbeddedHostUnderTest(TestDirectory directory, ManualTimeProvider time, TestHost host) : IHostUnderTest
{
    public Probe Probe => host.Probe;

    public int ActiveActivations => host.Host.ActiveActivations;

    public static async Task<IHostUnderTest> StartAsync(TestDirectory directory, ManualTimeProvider time, Probe probe) =>
        new EmbeddedHostUnderTest(directory, time, await TestHost.StartAsync(directory, time, probe, start: false));

    public Task<object?> InvokeAsync(ActorId id, string method, object? argument = null) => host.InvokeAsync(id, method, argument);

    public Task AdvanceAsync(TimeSpan by)
    {
        time.Advance(by);
        return Task.CompletedTask;
    }

    public Task<int> FireDueRemindersAsync() => host.Host.FireDueRemindersAsync();

    public Task<bool> DeactivateAsync(ActorId id) => host.Host.DeactivateAsync(id);

    public async Task<IHostUnderTest> RestartAsync()
    {
        await host.DisposeAsync();
        return await StartAsync(directory, time, host.Probe);
    }

    public ValueTask DisposeAsync() => host.DisposeAsync();
}

/// <summary>The Dapr host: a real app (Kestrel on loopback) serving daprd's actor routes, wired to a <see cref="FakeDaprd"/>.</summary>
internal sealed class DaprHostUnderTest : IHostUnderTest
{
    private readonly TestDirectory _directory;
    private readonly ManualTimeProvider _time;
    private readonly WebApplication _app;

    private DaprHostUnderTest(TestDirectory directory, ManualTimeProvider time, FakeDaprd daprd, WebApplication app, Probe probe)
    {
        _directory = directory;
        _time = time;
        Daprd = daprd;
        _app = app;
        Probe = probe;
    }

    public FakeDaprd Daprd { get; }

    public Probe Probe { get; }

    public IServiceProvider Services => _app.Services;

    public int ActiveActivations => _app.Services.GetRequiredService<DaprActorRuntime>().ActiveActivations;

    public static async Task<DaprHostUnderTest> StartAsync(TestDirectory directory, ManualTimeProvider time, Probe probe, FakeDaprd? daprd = null, IReadOnlyDictionary<string, string?>? settings = null, bool sharedClock = false)
    {
        daprd ??= await FakeDaprd.StartAsync(time);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Dapr:HttpEndpoint"] = daprd.Endpoint.ToString(),
            ["Storage:DataDirectory"] = directory.Path,
        });
        if (settings is not null)
            builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddSingleton(probe);
        // The app and "daprd" read one clock, as a sidecar and its app on one machine do (the app's waits then need the
        // test to advance it: its polls for daprd's health wait on it).
        if (sharedClock)
            builder.Services.AddSingleton<TimeProvider>(time);
        builder.Services.AddDaprActorHost();
        builder.Services.AddActor<ProbeActor>(ProbeActor.TypeName, ProbeActor.Methods, ProbeActor.Results, ProbeActor.Repeatable);
        var app = builder.Build();
        app.MapDaprActors();
        await app.StartAsync();
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        await daprd.ConnectAppAsync(address);
        return new DaprHostUnderTest(directory, time, daprd, app, probe);
    }

    public Task<object?> InvokeAsync(ActorId id, string method, object? argument = null) =>
        _app.Services.GetRequiredService<IActorHost>().InvokeAsync(id, method, argument);

    public async Task AdvanceAsync(TimeSpan by)
    {
        _time.Advance(by);
        await Daprd.FireDueTimersAsync();
    }

    public Task<int> FireDueRemindersAsync() => Daprd.FireDueRemindersAsync();

    public Task<bool> DeactivateAsync(ActorId id) => Daprd.DeactivateAsync(id);

    /// <summary>daprd halts every actor before the app goes; the new app gets state and reminders back from "daprd".</summary>
    public async Task<IHostUnderTest> RestartAsync()
    {
        await Daprd.HaltAllAsync();
        await StopAppAsync();
        return await StartAsync(_directory, _time, Probe, Daprd);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAppAsync();
        await Daprd.DisposeAsync();
    }

    private async Task StopAppAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
