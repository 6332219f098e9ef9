using AgentCrm.Agents;
using AgentCrm.Knowledge;

namespace AgentCrm.Runtime.Tests.Knowledge;

/// <summary>A reason's citation search asks its explanation without what it quotes: the customer's words are evidence, not the topic.</summary>
public sealed class CitationQueryTests
{
    private static Reason Reason(string explanation, object? value = null) => new("documents.text", value, 0.9, [], explanation);

    [Fact]
    public void Of_AQuotedClause_LeavesTheQuotationOut()
    {
        const string clause = "We may change these Terms at any time.";
        Assert.Equal("unilateral change clause (p ):", CitationQuery.Of(Reason($"unilateral change clause (p 0.93): \"{clause}\"", clause)));
    }

    [Fact]
    public void Of_AQuotedValueWithQuotationMarksOfItsOwn_LeavesAllOfItOut()
    {
        const string clause = "Any Party (the \"Non-Breaching Party\") may terminate this Agreement.";
        Assert.Equal("unilateral termination clause (p ):", CitationQuery.Of(Reason($"unilateral termination clause (p 0.75): \"{clause}\"", clause)));
    }

    [Fact]
    public void Of_AQuotationInTheMiddleAndOneLeftOpen_LeavesBothOut()
    {
        Assert.Equal("procurement notice from Shared Services Canada, published today", CitationQuery.Of(Reason("procurement notice \"CRM software\" from Shared Services Canada, published today")));
        Assert.Equal("limitation of liability clause:", CitationQuery.Of(Reason("limitation of liability clause: \"In no event shall we be liable…")));
        Assert.Equal("choice of law clause:", CitationQuery.Of(Reason("choice of law clause: “governed by the laws of Ireland”")));
    }

    [Fact]
    public void Of_NoQuotation_IsTheExplanation()
    {
        Assert.Equal("renewal conversation", CitationQuery.Of(Reason("renewal conversation")));
        Assert.Equal("required clause missing: Cap on Liability (policy; contract terms playbook §11 Cap on liability)",
            CitationQuery.Of(Reason("required clause missing: Cap on Liability (policy; contract terms playbook §11 Cap on liability)")));
    }

    [Theory]
    [InlineData("contract ends in 41 days", "contract ends in days")]
    [InlineData("contract ended -0 days ago", "contract ended days ago")]
    [InlineData("usage down 70% in 30 days", "usage down in days")]
    [InlineData("1 failed payment in 90 days", "failed payment in days")]
    [InlineData("open amount 1,250.50 on 2 invoices", "open amount on invoices")]
    [InlineData("contract terms playbook §11 Cap on liability, Q3 B2B", "contract terms playbook §11 Cap on liability, Q3 B2B")]
    public void Of_TheReasonsFigures_AreLeftOut_NotNumbersInsideNames(string explanation, string query)
    {
        Assert.Equal(query, CitationQuery.Of(Reason(explanation)));
    }

    [Fact]
    public void Of_NothingButFigures_IsTheWholeExplanation()
    {
        Assert.Equal("42", CitationQuery.Of(Reason("42")));
    }

    [Fact]
    public void Of_NothingButAQuotation_IsTheWholeExplanation()
    {
        Assert.Equal("\"We may close your account.\"", CitationQuery.Of(Reason("\"We may close your account.\"")));
        Assert.Equal("", CitationQuery.Of(Reason("  ")));
    }
}
