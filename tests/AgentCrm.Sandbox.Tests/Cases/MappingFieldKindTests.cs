using AgentCrm.Sandbox.Cases;

namespace AgentCrm.Sandbox.Tests.Cases;

/// <summary>A field the live snapshot derives keeps its kind in a mapping, so rules checked against that kind hold for replays too.</summary>
public sealed class MappingFieldKindTests
{
    private static string Mapping(string field) => $$"""
        name: kinds
        id: id
        label: { column: churned, positive: "1" }
        fields:
          {{field}}
        """;

    private const string Csv = "id,open,name,churned\nc1,3,ACME,1\n";

    [Theory]
    [InlineData("- { column: open, field: tickets.open, type: text }", "'tickets.open' is a number wherever it comes from; give type: number (or leave type out).")]
    [InlineData("- { column: name, field: profile.name, type: number }", "'profile.name' is a text wherever it comes from; give type: text (or leave type out).")]
    public void Read_KnownFieldDeclaredAsAnotherKind_IsRefusedAtItsLine(string field, string expected)
    {
        var ex = Assert.Throws<CaseSetException>(() => SampleData.Tabular(Csv, Mapping(field)));
        Assert.Contains("line 5", ex.Message, StringComparison.Ordinal);
        Assert.EndsWith(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_StoredMapping_KnownFieldDeclaredAsAnotherKind_KeepsTheDeclaredType()
    {
        var set = CaseSetLoader.LoadTabular(SampleData.Stream(Csv), "cases.csv", SampleData.Stream(Mapping("- { column: open, field: tickets.open, type: text }")), "mapping.yaml", stored: true);
        Assert.Equal("3", set.Cases[0].Snapshot.Text("tickets.open"));
    }

    [Fact]
    public void Read_KnownFieldWithoutType_TakesItsKind_AnOtherFieldStaysText()
    {
        var set = SampleData.Tabular(Csv, Mapping("- { column: open, field: tickets.open }\n  - { column: name, field: services.plan }"));
        Assert.Equal(3, set.Cases[0].Snapshot.Number("tickets.open"));
        Assert.Equal("ACME", set.Cases[0].Snapshot.Text("services.plan"));
    }
}
