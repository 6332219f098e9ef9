using AgentCrm.Sandbox.Metrics;

namespace AgentCrm.Sandbox.Tests.Metrics;

public sealed class WilsonIntervalTests
{
    // Reference values: Wilson (1927) at z = 1.96, as tabulated by Newcombe (1998) and most calculators.
    [Theory]
    [InlineData(8, 10, 0.8, 0.4902, 0.9433)]
    [InlineData(0, 10, 0.0, 0.0, 0.2775)]
    [InlineData(10, 10, 1.0, 0.7225, 1.0)]
    [InlineData(50, 100, 0.5, 0.4038, 0.5962)]
    [InlineData(3, 4, 0.75, 0.3006, 0.9544)]
    public void Of_KnownProportion_MatchesPublishedInterval(int k, int n, double value, double lower, double upper)
    {
        var estimate = WilsonInterval.Of(k, n, 1.96);

        Assert.Equal(value, estimate.Value, 10);
        Assert.Equal(lower, estimate.Lower, 4);
        Assert.Equal(upper, estimate.Upper, 4);
    }

    [Fact]
    public void Of_DefaultZ_Is95PercentQuantile()
    {
        var estimate = WilsonInterval.Of(8, 10);

        Assert.Equal(1.959964, WilsonInterval.Z95);
        Assert.Equal(0.4902, estimate.Lower, 4);
        Assert.Equal(0.9433, estimate.Upper, 4);
    }

    [Fact]
    public void Of_NoSuccesses_LowerBoundIsExactlyZero()
    {
        // Unclamped, rounding leaves -2.8e-17 here.
        Assert.Equal(0.0, WilsonInterval.Of(0, 10).Lower);
        Assert.Equal(1.0, WilsonInterval.Of(10, 10).Upper);
    }

    [Fact]
    public void Of_NoTrials_IsZeroOnWholeUnitInterval()
    {
        Assert.Equal(new Estimate(0, 0, 1), WilsonInterval.Of(0, 0));
    }

    [Theory]
    [InlineData(-1, 10)]
    [InlineData(11, 10)]
    public void Of_SuccessesOutsideTrials_Throws(int k, int n)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => WilsonInterval.Of(k, n));
    }
}
