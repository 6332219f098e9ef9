using AgentCrm.Agents;
using AgentCrm.Agents.RenewalRisk;
using AgentCrm.Briefs;
using AgentCrm.Customers;
using AgentCrm.Knowledge;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Knowledge;

/// <summary>
/// A reason's citation is found by what the reason is about, not by its figures: over the shipped documents (the demo
/// knowledge), "contract ends in 6 days" ranked the renewal playbook's "6. New customers" first (its heading's number and
/// its "30, 60 and 90 days"), and "contract ended 15 days ago" found its own section below the minimum score. One server
/// with the bundled documents for the whole class; each case asks the runtime's own citation search.
/// </summary>
public sealed class CitationFiguresTests(CitationFiguresTests.BundledApp fixture) : IClassFixture<CitationFiguresTests.BundledApp>
{
    public sealed class BundledApp : IAsyncLifetime
    {
        public AgentCrmApp App { get; private set; } = null!;

        public async Task InitializeAsync() => App = await AgentCrmApp.StartAsync(settings: new Dictionary<string, string?> { ["Knowledge:IngestBundled"] = "true" });

        public async Task DisposeAsync() => await App.DisposeAsync();
    }

    private const string ContractSection = "1. Contract ending soon";

    public static TheoryData<string> ContractEnds()
    {
        var data = new TheoryData<string> { "contract ends in 1 day", "contract ended 1 day ago" };
        for (var days = 2; days <= 12; days++)
        {
            data.Add($"contract ends in {days} days");
            data.Add($"contract ended {days} days ago");
        }
        data.Add("contract ended 15 days ago");
        data.Add("contract ends in 41 days");
        return data;
    }

    [Theory]
    [MemberData(nameof(ContractEnds))]
    public async Task ContractEndReason_CitesTheContractEndingSection_WhateverItsNumber(string explanation)
    {
        var cited = await CiteAsync(new Reason("contract.daysToEnd", 0, 0.5, [], explanation));

        Assert.Equal(ContractSection, Assert.Single(cited).Section);
    }

    [Theory]
    [InlineData("customer for only 45 days", "6. New customers")]
    [InlineData("NPS 3", "5. Low NPS")]
    [InlineData("4 unresolved tickets", "3. Unresolved support tickets")]
    public async Task OtherReasons_StillCiteTheirOwnSection(string explanation, string section)
    {
        var cited = await CiteAsync(new Reason("x", 0, 0.5, [], explanation));

        Assert.Equal(section, Assert.Single(cited).Section);
    }

    private async Task<IReadOnlyList<Citation>> CiteAsync(Reason reason)
    {
        var services = fixture.App.Services;
        var citations = services.GetRequiredService<BriefCitations>();
        var counts = new TurnMetrics(services.GetRequiredService<RuntimeMetrics>());
        return (await citations.FindAsync(new RenewalRiskKind().BuiltIn, new Assessment(0.9, true, [reason]), counts, CancellationToken.None)).Cited;
    }
}
