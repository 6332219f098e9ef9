using AgentCrm.Knowledge.Text;

namespace AgentCrm.Knowledge.Tests.Retrieval;

public sealed class QueryExpansionTests
{
    [Theory]
    [InlineData("the customer asks us to delete all their data", "erasure")]
    [InlineData("Our database was HACKED", "breach")]
    [InlineData("parental approval for kids", "child")]
    [InlineData("complain to the regulator", "supervisory authority")]
    public void Expand_LayWord_AppendsTheFormalTerm(string query, string formal)
    {
        var expanded = QueryExpansion.Expand(query);

        Assert.StartsWith(query + " ", expanded, StringComparison.Ordinal);
        Assert.Contains(formal, expanded[query.Length..], StringComparison.Ordinal);
    }

    [Fact]
    public void Expand_NoLayWord_QueryUnchanged()
    {
        Assert.Equal("right of access to personal data", QueryExpansion.Expand("right of access to personal data"));
    }

    [Fact]
    public void Expand_RepeatedLayWords_EachFormalTermOnce()
    {
        var expanded = QueryExpansion.Expand("delete, remove and wipe it");

        Assert.Equal("delete, remove and wipe it erasure erase", expanded);
    }
}
