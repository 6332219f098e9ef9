using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace AgentCrm.Actors.Tests.Actors;

public sealed class ActorServiceCollectionExtensionsTests : IDisposable
{
    private readonly TestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task AddEmbeddedActorHost_InGenericHost_StartsServesCallsAndDrainsOnStop()
    {
        using var app = Build(new Dictionary<string, string?>());
        await app.StartAsync();
        var actors = app.Services.GetRequiredService<IActorHost>();

        await actors.InvokeAsync(ProbeActor.For("wired"), "set", "ok");
        Assert.Equal("ok", await actors.InvokeAsync(ProbeActor.For("wired"), "get", null));
        Assert.Same(actors, app.Services.GetRequiredService<EmbeddedActorHost>());
        await app.StopAsync();

        await Assert.ThrowsAsync<ActorHostStoppingException>(() => actors.InvokeAsync(ProbeActor.For("wired"), "get", null));
    }

    [Fact]
    public async Task AddEmbeddedActorHost_InvalidOptions_FailsAtStartNamingTheKey()
    {
        using var app = Build(new Dictionary<string, string?> { ["Actors:ScanInterval"] = "00:00:00" });

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());

        Assert.Contains(ex.Failures, f => f.StartsWith("Actors:ScanInterval must be positive", StringComparison.Ordinal));
    }

    private IHost Build(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Storage:DataDirectory"] = _directory.Path,
            ["Storage:Synchronous"] = "Normal",
        });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddSingleton(new Probe());
        builder.Services.AddEmbeddedActorHost();
        builder.Services.AddActor<ProbeActor>(ProbeActor.TypeName, ProbeActor.Methods);
        return builder.Build();
    }
}
