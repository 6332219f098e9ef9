using AgentCrm.Actors.Tests.Actors;

namespace AgentCrm.Actors.Tests.Dapr;

/// <summary>
/// Tests of one Dapr host — the probe actor served by a real app, wired to a fake daprd — started before each test, with
/// <paramref name="settings"/> when given, and stopped after it.
/// </summary>
public abstract class DaprProbeHostTests(IReadOnlyDictionary<string, string?>? settings = null) : IAsyncLifetime
{
    private readonly TestDirectory _directory = new();

    private protected DaprHostUnderTest Host { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Host = await DaprHostUnderTest.StartAsync(_directory, new ManualTimeProvider(), new Probe(), await FakeDaprd.StartAsync(new ManualTimeProvider()), settings);

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        _directory.Dispose();
    }
}
