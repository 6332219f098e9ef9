using AgentCrm.Sandbox.Cases;

namespace AgentCrm.Sandbox.Tests.Cases;

public sealed class TabularCasesTests
{
    private const string Mapping = """
        name: small-churn
        scenario: renewal-risk
        id: id
        label: { column: Churn, positive: "Yes", negative: "No" }
        segment: { column: Plan, values: { "Month-to-month": month-to-month } }
        asOf: 2026-03-01T00:00:00Z
        fields:
          - { column: tenure, field: tenure.months, type: number }
          - { column: Plan, field: contract.type, type: text, values: { "Month-to-month": month-to-month, "One year": one-year } }
          - { column: Total, field: billing.totalCharges, type: number, missing: [""] }
          - { column: Partner, field: demographics.partner, type: number, values: { "Yes": 1, "No": 0 } }
        """;

    private const string Header = "id,tenure,Plan,Total,Partner,Churn\n";

    [Fact]
    public void LoadTabular_MapsColumnsToSnapshotFields()
    {
        var set = SampleData.Tabular(Header + "c1,2,Month-to-month,40.5,Yes,Yes\n\"c,2\",30,\"One year\", ,No,No\n", Mapping);

        Assert.Equal("small-churn", set.Name);
        Assert.Equal(CaseSetKinds.Tabular, set.Kind);
        Assert.Equal("renewal-risk", set.Scenario);
        Assert.StartsWith("sha256:", set.Hash, StringComparison.Ordinal);
        Assert.Equal(71, set.Hash.Length);
        var first = set.Cases[0];
        Assert.Equal("c1", first.Id);
        Assert.True(first.Label);
        Assert.Equal("month-to-month", first.Segment);
        Assert.Equal(new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero), first.Snapshot.AsOf);
        Assert.Equal(2, first.Snapshot.Number("tenure.months"));
        Assert.Equal("month-to-month", first.Snapshot.Text("contract.type"));
        Assert.Equal(40.5, first.Snapshot.Number("billing.totalCharges"));
        Assert.Equal(1, first.Snapshot.Number("demographics.partner"));
        var second = set.Cases[1];
        Assert.Equal("c,2", second.Id);
        Assert.False(second.Label);
        Assert.Equal("One year", second.Segment);
        Assert.False(second.Snapshot.Fields.ContainsKey("billing.totalCharges"));
    }

    [Fact]
    public void LoadTabular_AFieldWithAValue_GivesEveryCaseThatValue_WithoutAColumn()
    {
        var mapping = Mapping + "\n  - { value: contract, field: documents.docType, type: text }\n  - { value: 12, field: usage.seats, type: number }\n";

        var set = SampleData.Tabular(Header + "c1,2,Month-to-month,40.5,Yes,Yes\nc2,30,One year,10,No,No\n", mapping);

        Assert.All(set.Cases, c => Assert.Equal("contract", c.Snapshot.Text("documents.docType")));
        Assert.All(set.Cases, c => Assert.Equal(12, c.Snapshot.Number("usage.seats")));
    }

    [Fact]
    public void LoadTabular_SameMappingLoadsAnyFileWithTheColumns_InAnyOrder()
    {
        var set = SampleData.Tabular("Churn,Partner,Total,Plan,tenure,id,extra\nNo,No,10,One year,5,z9,ignored\n", Mapping);
        Assert.Equal(5, Assert.Single(set.Cases).Snapshot.Number("tenure.months"));
    }

    [Fact]
    public void LoadTabular_HashCoversDataAndMapping()
    {
        var rows = Header + "c1,2,Month-to-month,40.5,Yes,Yes\n";
        var a = SampleData.Tabular(rows, Mapping);
        Assert.Equal(a.Hash, SampleData.Tabular(rows, Mapping).Hash);
        Assert.NotEqual(a.Hash, SampleData.Tabular(rows.Replace("40.5", "40.6", StringComparison.Ordinal), Mapping).Hash);
        Assert.NotEqual(a.Hash, SampleData.Tabular(rows, Mapping.Replace("2026-03-01", "2026-03-02", StringComparison.Ordinal)).Hash);
    }

    [Theory]
    [InlineData("c1,2,Month-to-month,abc,Yes,Yes\n", "cases.csv line 2, column 'Total': 'abc' is not a number.")]
    [InlineData("c1,2,Month-to-month,1,Yes,Yes\nc2,x,One year,1,No,No\n", "cases.csv line 3, column 'tenure': 'x' is not a number.")]
    [InlineData("c1,2,Month-to-month,1,Yes,\n", "cases.csv line 2, column 'Churn': missing label value.")]
    [InlineData("c1,2,Month-to-month,1,Yes,Maybe\n", "cases.csv line 2, column 'Churn': label value 'Maybe' is neither positive (Yes) nor negative (No).")]
    [InlineData("c1,2,Month-to-month,1,Yes,Yes\nc2,2,One year,1,No,No\nc1,3,One year,1,No,No\n", "cases.csv line 4, column 'id': duplicate id 'c1' (first on line 2).")]
    [InlineData("c1,,Month-to-month,1,Yes,Yes\n", "cases.csv line 2, column 'tenure': empty value (list \"\" under the field's missing: to allow it).")]
    [InlineData("c1,2,Month-to-month,1,Maybe,Yes\n", "cases.csv line 2, column 'Partner': 'Maybe' is not a number.")]
    [InlineData("", "cases.csv: the file is empty; a CSV needs a header line and at least one row.")]
    public void LoadTabular_BadRow_NamesFileLineAndColumn(string rows, string message)
    {
        var csv = rows.Length == 0 ? "" : Header + rows;
        var ex = Assert.Throws<CaseSetException>(() => SampleData.Tabular(csv, Mapping));
        Assert.Equal(message, ex.Message);
    }

    [Fact]
    public void LoadTabular_LabelValues_MatchIgnoringCaseAndSurroundingSpaces()
    {
        var set = SampleData.Tabular(Header + "c1,2,One year,1,No,yes\nc2,2,One year,1,No, YES \nc3,2,One year,1,No,no\nc4,2,One year,1,No,No\n", Mapping);

        Assert.Equal([true, true, false, false], set.Cases.Select(c => c.Label));
        // The mapping's own values are trimmed too; an unknown value is still refused with its line and column.
        var spaced = Mapping.Replace("positive: \"Yes\"", "positive: \" Yes \"", StringComparison.Ordinal);
        Assert.True(SampleData.Tabular(Header + "c1,2,One year,1,No,yes\n", spaced).Cases[0].Label);
        var ex = Assert.Throws<CaseSetException>(() => SampleData.Tabular(Header + "c1,2,One year,1,No,yess\n", Mapping));
        Assert.Equal("cases.csv line 2, column 'Churn': label value 'yess' is neither positive (Yes) nor negative (No).", ex.Message);
    }

    [Fact]
    public void LoadTabular_PositiveAndNegativeDifferingOnlyInCase_AreRefused()
    {
        var mapping = Mapping.Replace("negative: \"No\"", "negative: \"yes\"", StringComparison.Ordinal);

        var ex = Assert.Throws<CaseSetException>(() => SampleData.Tabular(Header + "c1,2,One year,1,No,Yes\n", mapping));

        Assert.Contains("label.positive and label.negative share a value", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadTabular_DocumentText_IsCutLikeIntake_OtherTextKept()
    {
        const string mapping = """
            name: long-texts
            scenario: compliance-check
            id: id
            label: { column: unfair, positive: "1", negative: "0" }
            fields:
              - { column: text, field: documents.text, type: text }
              - { column: title, field: documents.title, type: text }
            """;
        var longText = new string('a', Agents.Customers.CustomerState.MaxDocumentChars + 5_000);

        var set = SampleData.Tabular($"id,text,title,unfair\nd1,{longText},{longText},1\nd2,short,short,0\n", mapping);

        Assert.Equal(Agents.Customers.CustomerState.MaxDocumentChars, set.Cases[0].Snapshot.Text("documents.text")!.Length);
        Assert.Equal(longText.Length, set.Cases[0].Snapshot.Text("documents.title")!.Length);
        Assert.Equal("short", set.Cases[1].Snapshot.Text("documents.text"));
    }

    [Fact]
    public void LoadTabular_BadRowAfterManyGoodOnes_ReturnsNothing()
    {
        var rows = string.Concat(Enumerable.Range(1, 500).Select(i => $"c{i},{i % 70},One year,{i},No,No\n"));
        CaseSet? set = null;
        Assert.Throws<CaseSetException>(() => set = SampleData.Tabular(Header + rows + "c501,7,One year,n/a,No,No\n", Mapping));
        Assert.Null(set);
    }

    [Theory]
    [InlineData("column: tenure,", "column: tenured,", "mapping.yaml line 8: column 'tenured' is not in cases.csv; its columns are 'id', 'tenure', 'Plan', 'Total', 'Partner', 'Churn'.")]
    [InlineData("field: tenure.months", "field: tenure months", "mapping.yaml line 8: 'tenure months' is not a snapshot field: use prefix.name with prefix one of")]
    [InlineData("field: billing.totalCharges", "field: tenure.months", "mapping.yaml line 10: field 'tenure.months' is already mapped on line 8.")]
    [InlineData("type: number, missing", "type: integer, missing", "mapping.yaml line 10: type 'integer' is not number or text.")]
    [InlineData("scenario: renewal-risk", "scenario: renewal-risk\ncolour: blue", "mapping.yaml line 3: unknown key 'colour' in the mapping; allowed:")]
    [InlineData("label: { column: Churn, positive: \"Yes\", negative: \"No\" }", "label: Churn", "mapping.yaml line 4: label must be { column: COLUMN, positive: VALUE }.")]
    [InlineData("asOf: 2026-03-01T00:00:00Z", "asOf: soon", "mapping.yaml line 6: asOf must be an ISO 8601 timestamp, e.g. 2026-01-01T00:00:00Z.")]
    [InlineData("name: small-churn", "name: Small Churn", "mapping.yaml line 1: name must be lower-case letters, digits and dashes (e.g. telco-churn).")]
    [InlineData("- { column: Total", "- { column: Total, ]", "mapping.yaml line 10: malformed YAML")]
    [InlineData("  - { column: Plan", "\t- { column: Plan", "mapping.yaml line 9: malformed YAML: a tab indents this line (column 1); YAML indents with spaces only.")]
    [InlineData("  - { column: tenure, field", "  - { column: tenure,\n\tfield", "mapping.yaml line 9: malformed YAML: a tab indents this line (column 1); YAML indents with spaces only.")]
    [InlineData("- { column: tenure, field: tenure.months, type: number }", "- { value: many, field: tenure.months, type: number }", "mapping.yaml line 8: value 'many' is not a number")]
    [InlineData("- { column: tenure, field: tenure.months, type: number }", "- { column: tenure, value: 3, field: tenure.months, type: number }", "mapping.yaml line 8: a fields entry with value: (the same value for every case) takes no column")]
    public void LoadTabular_BadMapping_NamesTheMappingLine(string find, string replace, string message)
    {
        var mapping = Mapping.Replace(find, replace, StringComparison.Ordinal);
        Assert.NotEqual(Mapping, mapping);
        var ex = Assert.Throws<CaseSetException>(() => SampleData.Tabular(Header + "c1,2,Month-to-month,1,Yes,Yes\n", mapping));
        Assert.StartsWith(message, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void LoadTabular_NoIdColumn_NumbersCasesByRow()
    {
        var mapping = Mapping.Replace("id: id\n", "", StringComparison.Ordinal);
        var set = SampleData.Tabular(Header + "c1,2,Month-to-month,1,Yes,Yes\nc1,3,One year,1,No,No\n", mapping);
        Assert.Equal(["row-1", "row-2"], set.Cases.Select(c => c.Id));
    }

    [Fact]
    public void LoadTabular_ShippedTelcoFile_Gives5000CasesWith1327Churned()
    {
        var set = SampleData.Telco;

        Assert.Equal("telco-churn", set.Name);
        Assert.Equal(5000, set.Cases.Count);
        Assert.Equal(1327, set.Positives);
        Assert.Equal(5000, set.Cases.Select(c => c.Id).Distinct().Count());
        Assert.Equal(8, set.Cases.Count(c => !c.Snapshot.Fields.ContainsKey("billing.totalCharges")));
        Assert.Equal(2770, set.Cases.Count(c => c.Segment == "month-to-month"));
        var first = set.Cases[0];
        Assert.Equal("7590-VHVEG", first.Id);
        Assert.Equal("month-to-month", first.Snapshot.Text("contract.type"));
        Assert.Equal("dsl", first.Snapshot.Text("services.internet"));
        Assert.Equal(29.85, first.Snapshot.Number("billing.monthlyCharges"));
        Assert.All(set.Cases[0].Snapshot.Fields.Keys, k => Assert.True(Agents.Customers.FieldCatalog.IsValid(k), k));
    }

    [Fact]
    public void LoadTabular_ShippedIranianFile_Gives2200CasesWith346Churned()
    {
        var set = SampleData.Iranian;

        Assert.Equal(2200, set.Cases.Count);
        Assert.Equal(346, set.Positives);
        Assert.Equal("row-1", set.Cases[0].Id);
        Assert.Equal(8, set.Cases[0].Snapshot.Number("support.callFailures"));
        Assert.Equal(38, set.Cases[0].Snapshot.Number("tenure.months"));
        Assert.Equal("pay-as-you-go", set.Cases[0].Segment);
    }
}
