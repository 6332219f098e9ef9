using AgentCrm.Sandbox.Cases;
using AgentCrm.Sandbox.Fitting;
using AgentCrm.Sandbox.Splits;
using AgentCrm.Sandbox.Tests.Cases;

namespace AgentCrm.Sandbox.Tests.Text;

public sealed class TextCaseSetsTests
{
    [Fact]
    public void Claudette_LoadsOneCasePerSentence_GroupedByDocument_WithALabelPerCategory()
    {
        var set = SampleData.Claudette;

        Assert.Equal("claudette-tos", set.Name);
        Assert.Equal("compliance-check", set.Scenario);
        Assert.Equal(11996, set.Cases.Count);
        Assert.Equal(1034, set.Positives);
        Assert.Equal(40, set.Cases.Select(c => c.Group).Distinct().Count());
        Assert.Equal(337, set.Cases.Count(c => c.Labels["limitation-of-liability"]));
        Assert.Equal(61, set.Cases.Count(c => c.Labels["arbitration"]));
        Assert.Equal(9, set.Cases[0].Labels.Count);
        // A sentence is unfair exactly when one of its categories is.
        Assert.All(set.Cases, c => Assert.Equal(c.Label, c.Labels.Values.Any(v => v)));
        Assert.Equal("Amazon", set.Cases[0].Group);
        Assert.Equal("Conditions of Use & Sale", set.Cases[0].Snapshot.Text("documents.text"));
    }

    [Fact]
    public void CanadaTenders_MapsOnlyTheNoticeText_NeverTheGsinColumns()
    {
        var set = SampleData.Tenders;

        Assert.Equal(4000, set.Cases.Count);
        Assert.Equal(576, set.Positives);
        Assert.All(set.Cases, c => Assert.All(c.Snapshot.Fields.Keys, f => Assert.Contains(f, new[] { "news.title", "news.buyer" })));
        Assert.DoesNotContain(set.Cases, c => c.Snapshot.Fields.Values.Any(f => f.Text?.Contains("N7030", StringComparison.Ordinal) == true && !c.Snapshot.Text("news.title")!.Contains("N7030", StringComparison.Ordinal)));
        Assert.Equal("PW-14-00629344", set.Cases[0].Id);
    }

    [Fact]
    public void GroupedHoldOut_KeepsEveryDocumentOnOneSide_AndIsStable()
    {
        var set = SampleData.Claudette;
        var (train, test) = HoldOutCases.Split(set, new FitOptions());
        var trainDocs = train.Select(i => set.Cases[i].Group).ToHashSet();
        var testDocs = test.Select(i => set.Cases[i].Group).ToHashSet();

        Assert.Equal(12, testDocs.Count);
        Assert.Equal(28, trainDocs.Count);
        Assert.Empty(trainDocs.Intersect(testDocs));
        Assert.Equal(set.Cases.Count, train.Length + test.Length);
        Assert.Equal(test, HoldOutCases.Split(set, new FitOptions()).Test);
        Assert.NotEqual(testDocs, HoldOutCases.Split(set, new FitOptions { Seed = 7 }).Test.Select(i => set.Cases[i].Group).ToHashSet());
        Assert.Equal(test.Length, HoldOutCases.Of(set, new FitOptions()).Cases.Count);
    }

    [Fact]
    public void Mapping_GroupAndNamedLabels_AreCheckedWithTheirLines()
    {
        const string csv = "doc,text,unfair,cat\nA,one,1,2\nB,two,0,0\n";
        var ok = SampleData.Tabular(csv, """
            name: t
            group: doc
            label: { column: unfair, positive: "1" }
            labels:
              arbitration: { column: cat, positive: ["2", "3"], negative: ["0", "1"] }
            fields:
              - { column: text, field: documents.text }
            """);
        Assert.Equal(["A", "B"], ok.Cases.Select(c => c.Group));
        Assert.Equal([true, false], ok.Cases.Select(c => c.Labels["arbitration"]));

        var badName = Assert.Throws<CaseSetException>(() => SampleData.Tabular(csv, """
            name: t
            label: { column: unfair, positive: "1" }
            labels:
              Arbitration: { column: cat, positive: "2" }
            fields:
              - { column: text, field: documents.text }
            """));
        Assert.Equal(("mapping.yaml", 4), (badName.File, badName.Line));

        var badGroup = Assert.Throws<CaseSetException>(() => SampleData.Tabular(csv, """
            name: t
            group: document
            label: { column: unfair, positive: "1" }
            fields:
              - { column: text, field: documents.text }
            """));
        Assert.Contains("column 'document' is not in cases.csv", badGroup.Message, StringComparison.Ordinal);

        var badValue = Assert.Throws<CaseSetException>(() => SampleData.Tabular("doc,text,unfair,cat\nA,one,1,7\n", """
            name: t
            label: { column: unfair, positive: "1" }
            labels:
              arbitration: { column: cat, positive: "2", negative: "0" }
            fields:
              - { column: text, field: documents.text }
            """));
        Assert.Equal(("cases.csv", 2, "cat"), (badValue.File, badValue.Line, badValue.Column));
        Assert.Contains("'7' is neither positive", badValue.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Mapping_AnyLabel_IsPositiveWhenAnyPartIs_AndEveryPartIsChecked()
    {
        const string mapping = """
            name: t
            label:
              any:
                - { column: cap, positive: "No", negative: "Yes" }
                - { column: mfn, positive: "Yes", negative: "No" }
            fields:
              - { column: text, field: documents.text }
            """;
        var set = SampleData.Tabular("text,cap,mfn\na,Yes,No\nb,No,No\nc,Yes,Yes\nd,No,Yes\n", mapping);
        Assert.Equal([false, true, true, true], set.Cases.Select(c => c.Label));

        // A bad value in a later part fails the load even when an earlier part is already positive.
        var badValue = Assert.Throws<CaseSetException>(() => SampleData.Tabular("text,cap,mfn\na,No,Maybe\n", mapping));
        Assert.Equal(("cases.csv", 2, "mfn"), (badValue.File, badValue.Line, badValue.Column));
        Assert.Contains("'Maybe' is neither positive", badValue.Message, StringComparison.Ordinal);

        var missingColumn = Assert.Throws<CaseSetException>(() => SampleData.Tabular("text,cap\na,No\n", mapping));
        Assert.Equal(("mapping.yaml", 5), (missingColumn.File, missingColumn.Line));
        Assert.Contains("column 'mfn' is not in cases.csv", missingColumn.Message, StringComparison.Ordinal);

        var empty = Assert.Throws<CaseSetException>(() => SampleData.Tabular("text,cap\na,No\n", """
            name: t
            label: { any: [] }
            fields:
              - { column: text, field: documents.text }
            """));
        Assert.Equal(2, empty.Line);
        Assert.Contains("label.any must be a list", empty.Message, StringComparison.Ordinal);

        var mixed = Assert.Throws<CaseSetException>(() => SampleData.Tabular("text,cap\na,No\n", """
            name: t
            label: { column: cap, positive: "No", any: [{ column: cap, positive: "No" }] }
            fields:
              - { column: text, field: documents.text }
            """));
        Assert.Contains("unknown key 'column' in a label with any", mixed.Message, StringComparison.Ordinal);

        // Named labels stay one column each.
        var named = Assert.Throws<CaseSetException>(() => SampleData.Tabular("text,cap\na,No\n", """
            name: t
            label: { column: cap, positive: "No" }
            labels:
              breach: { any: [{ column: cap, positive: "No" }] }
            fields:
              - { column: text, field: documents.text }
            """));
        Assert.Equal(4, named.Line);
        Assert.Contains("unknown key 'any' in label", named.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cuad_LoadsOneCasePerContract_WithTheWholeTextAndALabelPerPolicyCategory()
    {
        var set = CaseSetLoader.LoadTabular(
            Path.Combine(SampleData.Root, "sandbox", "data", "compliance", "cuad", "cuad_subset_documents.csv"),
            Path.Combine(SampleData.Root, "sandbox", "mappings", "cuad.yaml"));

        Assert.Equal(40, set.Cases.Count);
        // The primary label: breaks the default policy (no cap, or uncapped liability, MFN or non-compete present).
        Assert.Equal(30, set.Positives);
        Assert.Equal(16, set.Cases[0].Labels.Count);
        Assert.Equal(26, set.Cases.Count(c => c.Labels["cap-on-liability"]));
        Assert.Equal(9, set.Cases.Count(c => c.Labels["uncapped-liability"]));
        Assert.All(set.Cases, c => Assert.Equal(c.Label,
            !c.Labels["cap-on-liability"] || c.Labels["uncapped-liability"] || c.Labels["most-favored-nation"] || c.Labels["non-compete"]));
        var first = set.Cases.Single(c => c.Id == "ABILITYINC_06_15_2020-EX-4.25-SERVICES AGREEMENT.PDF");
        var text = File.ReadAllText(Path.Combine(SampleData.Root, "sandbox", "data", "compliance", "cuad", "full_contract_txt_subset", "ABILITYINC_06_15_2020-EX-4.25-SERVICES AGREEMENT.txt"));
        Assert.Equal(text.Trim(), first.Snapshot.Text("documents.text"));
    }
}
