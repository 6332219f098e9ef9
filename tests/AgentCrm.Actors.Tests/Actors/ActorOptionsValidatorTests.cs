using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AgentCrm.Actors.Tests.Actors;

public sealed class ActorOptionsValidatorTests : IDisposable
{
    private readonly TestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Validate_Defaults_Succeed()
    {
        Assert.True(new ActorOptionsValidator().Validate(null, new ActorOptions()).Succeeded);
    }

    [Fact]
    public async Task Options_NonPositiveDurations_FailNamingEveryKey()
    {
        await using var services = TestHost.BuildServices(_directory, null, new Probe(), new Dictionary<string, string?>
        {
            ["Actors:IdleTimeout"] = "00:00:00",
            ["Actors:DrainTimeout"] = "-00:00:01",
        });

        var ex = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<ActorOptions>>().Value);

        Assert.Contains(ex.Failures, f => f.StartsWith("Actors:IdleTimeout must be positive", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.StartsWith("Actors:DrainTimeout must be positive", StringComparison.Ordinal));
        Assert.Equal(2, ex.Failures.Count());
    }
}
