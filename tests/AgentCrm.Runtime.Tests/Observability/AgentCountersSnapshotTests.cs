using AgentCrm.Customers;

namespace AgentCrm.Runtime.Tests.Observability;

/// <summary>
/// Health's run figures come from one snapshot of a version's counters: read live, several times, while turns incremented
/// them, health showed an agreement rate of 1.0049 (both-fired counted after the compared total was).
/// </summary>
public sealed class AgentCountersSnapshotTests
{
    [Fact]
    public async Task Read_WhileShadowOutcomesAreCounted_GivesTotalsThatAreTheSumOfTheirParts()
    {
        using var metrics = new RuntimeMetrics();
        using var stop = new CancellationTokenSource();
        var counting = Task.Run(() =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
                metrics.ShadowAgreement("renewal-risk", "1.1.0", shadowFired: i % 3 != 2, servingFired: i % 5 == 4 ? null : i % 2 == 0);
        });
        try
        {
            Assert.True(SpinWait.SpinUntil(() => metrics.Read("renewal-risk", "1.1.0").Compared > 0, TimeSpan.FromSeconds(30)), "the counting thread never ran");
            for (var read = 0; read < 20_000; read++)
            {
                var c = metrics.Read("renewal-risk", "1.1.0");
                Assert.Equal(c.BothFired + c.OnlyShadowFired + c.OnlyActiveFired + c.NeitherFired, c.Compared);
                Assert.Equal(c.Compared + c.WithoutBaseline, c.ShadowRuns);
                if (c.AgreementRate is { } rate)
                    Assert.InRange(rate, 0, 1);
            }
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
