using AgentCrm.Cli;

namespace AgentCrm.Runtime.Tests.Cli;

/// <summary>Counts in the CLI's lines: the singular for one, and numbers that stay aligned in a right-aligned column.</summary>
public sealed class CountedTests
{
    [Theory]
    [InlineData(0, "0 cases")]
    [InlineData(1, "1 case")]
    [InlineData(2, "2 cases")]
    public void Of_OneIsSingular_OtherCountsPlural(long count, string expected) =>
        Assert.Equal(expected, Counted.Of(count, "case"));

    [Fact]
    public void Of_AnIrregularPlural_AndAFormat()
    {
        Assert.Equal(("1 query", "3 queries"), (Counted.Of(1, "query", "queries"), Counted.Of(3, "query", "queries")));
        Assert.Equal("2,000 customers", Counted.Of(2000, "customer", format: "N0").Replace('\u00a0', ','));
    }

    [Fact]
    public void Cell_InARightAlignedColumn_KeepsTheNumbersAligned()
    {
        var text = Columns.Render([["a", Counted.Cell(1, "chunk"), "x"], ["b", Counted.Cell(12, "chunk"), "y"]], 1);

        Assert.Equal("a   1 chunk   x\nb  12 chunks  y\n", text);
    }
}
