using System.Text.Json;
using AgentCrm.Customers;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Observability;

/// <summary>
/// Health's run figures come from one snapshot of a version's counters: read live, several times, while turns incremented
/// them, health showed an agreement rate of 1.0049 (both-fired counted after the compared total was).
/// </summary>
public sealed class AgentCountersSnapshotTests
{
    [Fact]
    public async Task HealthOverHttp_WhileShadowOutcomesAreCounted_GivesAnAgreementRateThatIsItsOwnCounts()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var metrics = app.Services.GetRequiredService<RuntimeMetrics>();
        using var ops = await app.ClientAsync("ops");
        using var stop = new CancellationTokenSource();
        var counting = Task.Run(() =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
                metrics.ShadowAgreement("renewal-risk", "1.0.1", shadowFired: i % 3 != 2, servingFired: i % 5 == 4 ? null : i % 2 == 0);
        });
        try
        {
            var checkedAnswers = 0;
            for (var read = 0; read < 300; read++)
            {
                using var health = JsonDocument.Parse(await ops.GetStringAsync("/v1/agents/renewal-risk/health"));
                foreach (var version in health.RootElement.GetProperty("versions").EnumerateArray())
                {
                    if (!version.TryGetProperty("agreement", out var a) || a.ValueKind != JsonValueKind.Object)
                        continue;
                    long both = a.GetProperty("bothFired").GetInt64(), onlyShadow = a.GetProperty("onlyShadowFired").GetInt64(),
                        onlyActive = a.GetProperty("onlyActiveFired").GetInt64(), neither = a.GetProperty("neitherFired").GetInt64();
                    var rate = a.GetProperty("agreementRate").GetDouble();
                    // The rate is the answer's own counts: read live, several times, they gave 1.0049 with bothFired = compared.
                    Assert.Equal(Math.Round((double)(both + neither) / (both + onlyShadow + onlyActive + neither), 4), rate, 9);
                    Assert.InRange(rate, 0, 1);
                    checkedAnswers++;
                }
            }
            Assert.True(checkedAnswers > 0, "no health answer showed the shadow agreement being counted");
        }
        finally
        {
            await stop.CancelAsync();
            await counting;
        }
    }

    [Fact]
    public void Read_AVersionThatNeverRan_IsZeros_WithNoRate()
    {
        using var metrics = new RuntimeMetrics();

        var c = metrics.Read("renewal-risk", "9.9.9");

        Assert.Equal(0, c.ShadowRuns);
        Assert.Null(c.AgreementRate);
    }
}
