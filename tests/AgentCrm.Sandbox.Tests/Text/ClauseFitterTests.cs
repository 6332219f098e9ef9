using AgentCrm.Agents.Compliance;
using AgentCrm.Agents.Text;
using AgentCrm.Sandbox.Cases;
using AgentCrm.Sandbox.Fitting;
using AgentCrm.Sandbox.Fitting.Text;
using AgentCrm.Sandbox.Splits;
using AgentCrm.Sandbox.Tests.Cases;

namespace AgentCrm.Sandbox.Tests.Text;

public sealed class ClauseSpansTests
{
    [Fact]
    public void PythonStrings_ReadsBothQuotes_Escapes_AndEmptyLists()
    {
        Assert.Equal(["It's capped.", "say \"no\"", "a\nb"], ClauseSpans.PythonStrings("['It\\'s capped.', \"say \\\"no\\\"\", 'a\\nb']"));
        Assert.Empty(ClauseSpans.PythonStrings("[]"));
        Assert.Empty(ClauseSpans.PythonStrings(""));
        Assert.Throws<FormatException>(() => ClauseSpans.PythonStrings("['never closed]"));
        Assert.Throws<FormatException>(() => ClauseSpans.PythonStrings("not a list"));
    }

    [Fact]
    public void Parse_SplitsOmittedPieces_NamesCategoriesLikeTheMapping_AndKnowsWhichContractsItCovers()
    {
        var csv = "Filename,Cap on Liability,Cap on Liability-Answer,Most Favored Nation,Most Favored Nation-Answer\n" +
                  "a.pdf,\"['Liability is limited to fees.<omitted>Except for fraud.']\",Yes,[],No\n";

        var spans = ClauseSpans.Parse(csv, "spans.csv");

        Assert.True(spans.Has("a.pdf"));
        Assert.False(spans.Has("b.pdf"));
        Assert.Equal(["Liability is limited to fees.", "Except for fraud."], spans.Of("a.pdf", "cap-on-liability"));
        Assert.Empty(spans.Of("a.pdf", "most-favored-nation"));
        var bad = Assert.Throws<CaseSetException>(() => ClauseSpans.Parse("Filename,Cap on Liability,Cap on Liability-Answer\na.pdf,['x,Yes\n", "spans.csv"));
        Assert.Contains("Cap on Liability", bad.Message, StringComparison.Ordinal);
        Assert.Throws<CaseSetException>(() => ClauseSpans.Parse("Name,X,X-Answer\na,[],No\n", "spans.csv"));
    }

    [Fact]
    public void SpanMatcher_IgnoresCaseAndLineBreaks_AndMarksTheSentencesASpanCovers()
    {
        const string text = "SCOPE\nThe Supplier shall deliver.\nIN NO EVENT SHALL EITHER PARTY'S LIABILITY\n  EXCEED THE FEES PAID. Payment is due in 30 days.\n";
        var sentences = SentenceSplitter.Split(text);
        var located = SpanMatcher.Locate(text, sentences);

        var ranges = SpanMatcher.Find(text, ["In no event shall either party's liability exceed the fees paid."]);
        var inside = SpanMatcher.Inside(located, ranges);

        Assert.Single(ranges);
        Assert.Equal(["SCOPE", "The Supplier shall deliver.", "IN NO EVENT SHALL EITHER PARTY'S LIABILITY", "EXCEED THE FEES PAID.", "Payment is due in 30 days."], sentences);
        Assert.Equal([false, false, true, true, false], inside);
        Assert.Empty(SpanMatcher.Find(text, ["a clause that is not there"]));
        Assert.Equal(text.IndexOf("IN NO", StringComparison.Ordinal), ranges[0].Start);
    }

    [Fact]
    public void SpanMatcher_ASentenceBarelyTouchingASpan_IsNotInside()
    {
        // The span covers "Fees are due monthly." and only the first word of a long following sentence.
        var sentences = new (int, int)[] { (0, 21), (22, 122) };
        Assert.Equal([true, false], SpanMatcher.Inside(sentences, [(0, 27)]));
    }
}

/// <summary>CPU-heavy fits share a collection with the other fits, so they never run at the same time (the machine has two cores).</summary>
[Collection(FitsCollection.Name)]
public sealed class ClauseFitterTests
{
    private static readonly Lazy<CaseSet> LazyCuad = new(() => CaseSetLoader.LoadTabular(
        Path.Combine(SampleData.Root, "sandbox", "data", "compliance", "cuad", "cuad_subset_documents.csv"),
        Path.Combine(SampleData.Root, "sandbox", "mappings", "cuad.yaml")));

    private static readonly Lazy<ClauseSpans> LazySpans = new(() => ClauseSpans.Load(Path.Combine(SampleData.Root, "sandbox", "data", "compliance", "cuad", "master_clauses.csv")));

    private static readonly ClauseFitOptions Quick = new() { Categories = ["cap-on-liability", "most-favored-nation"], L2Strengths = [1], PositiveWeights = [1], MaxWords = 2000, MaxChars = 2000 };

    [Fact]
    public void Applies_ToContractCaseSets_NotToSentenceSetsOrUntypedDocuments()
    {
        Assert.True(ClauseFitter.Applies(LazyCuad.Value));
        Assert.False(ClauseFitter.Applies(SampleData.Claudette));
        // The same contracts without the mapping's document type are not known to be contracts.
        var mapping = File.ReadAllText(Path.Combine(SampleData.Root, "sandbox", "mappings", "cuad.yaml"));
        var untyped = string.Join('\n', mapping.Split('\n').Where(l => !l.Contains("documents.docType", StringComparison.Ordinal)));
        Assert.NotEqual(mapping, untyped);
        using var csv = File.OpenRead(Path.Combine(SampleData.Root, "sandbox", "data", "compliance", "cuad", "cuad_subset_documents.csv"));
        Assert.False(ClauseFitter.Applies(CaseSetLoader.LoadTabular(csv, "cuad_subset_documents.csv", SampleData.Stream(untyped), "cuad.yaml", "cuad-untyped")));
    }

    [Fact]
    public void ShippedSpans_CoverTheShippedContracts_AndMostSpansMatchASentence()
    {
        var docs = ClauseFitter.Documents(LazyCuad.Value, LazySpans.Value);

        Assert.Equal(40, docs.Length);
        Assert.Equal(35, LazySpans.Value.Documents);
        // Every contract labeled Yes for a liability cap and covered by the spans file has its cap located in sentences.
        var covered = docs.Where(d => d.Labels["cap-on-liability"] && LazySpans.Value.Has(d.Id)).ToList();
        Assert.True(covered.Count >= 20);
        Assert.True(covered.Count(d => d.Inside["cap-on-liability"] is { } m && m.Any(x => x)) >= covered.Count - 1);
        // A contract labeled No has no positive sentence.
        Assert.All(docs.Where(d => !d.Labels["most-favored-nation"]), d => Assert.False(d.Inside["most-favored-nation"]?.Any(x => x) ?? false));
    }

    [Fact]
    public void Fit_Twice_GivesTheSameClauseModelAndFigures_AndTheAgentUsesIt()
    {
        var a = ClauseFitter.Fit(LazyCuad.Value, new FitOptions(), Quick, LazySpans.Value, new ComplianceCheckKind().BuiltIn);
        var b = ClauseFitter.Fit(LazyCuad.Value, new FitOptions(), Quick, LazySpans.Value, new ComplianceCheckKind().BuiltIn);

        Assert.Equal(a.Manifest.Parameters["clauseModel"].GetRawText(), b.Manifest.Parameters["clauseModel"].GetRawText());
        Assert.Equal(a.PerLabel, b.PerLabel);
        Assert.Equal(a.Test, b.Test);
        var model = TextModel.FromJson(a.Manifest.Parameters["clauseModel"], "parameters.clauseModel");
        Assert.Equal(["cap-on-liability", "most-favored-nation"], model.Classes.Select(c => c.Name));
        Assert.All(model.Classes, c => Assert.InRange(c.Threshold, 0.0001, 1));
        Assert.True(model.Classes.All(c => c.Weights.Count(w => w == 0) > 0), "tiny weights are pruned");
        Assert.Equal("""{"require":["cap-on-liability"],"flag":["most-favored-nation"]}""", a.Manifest.Parameters["policy"].GetRawText());
        Assert.Equal((28, 12), (a.TrainCases, a.TestCases));
        Assert.Equal(["cap-on-liability", "most-favored-nation"], a.PerLabel.Select(l => l.Label));
        Assert.True(a.Manifest.Parameters.ContainsKey("model"), "the unfair-clause model rides along");

        // The fitted version runs as an agent on a hand-written contract: no liability cap, and a most-favored-nation clause.
        const string mfn = "During the term of this Agreement, Supplier agrees that Customer shall be allowed the full benefit of any lower prices or more favorable terms contained in any other agreement entered into by Supplier for substantially similar services.";
        var contract = "MASTER SERVICES AGREEMENT\nThis Agreement is made between Acme Inc. and Beta LLC.\n1. Services. Supplier shall provide the services described in Exhibit A.\n" +
                       "2. Fees. Customer shall pay the fees within thirty days of invoice.\n3. Most Favored Customer. " + mfn + "\n4. Governing Law. This Agreement is governed by the laws of New York.\n";
        var agent = new ComplianceCheckKind().Create(a.Manifest);
        var result = agent.Assess(Contract(contract));

        Assert.True(result.Fired);
        Assert.Contains(result.Reasons, r => r.Value is null && r.Explanation == "required clause missing: Cap on Liability (policy; contract terms playbook §11 Cap on liability)");
        var risky = Assert.Single(result.Reasons, r => r.Explanation.StartsWith("risky clause present: Most Favored Nation (score ", StringComparison.Ordinal));
        Assert.Equal(mfn, risky.Value);
        Assert.Contains("contract terms playbook §13 Most favored nation", risky.Explanation, StringComparison.Ordinal);
        Assert.Contains("most-favored-nation clause", result.NextStep, StringComparison.Ordinal);

        // With a cap and without the MFN clause, the policy finds nothing.
        var capped = contract.Replace("3. Most Favored Customer. " + mfn, "3. Limitation of Liability. In no event shall either party's total liability under this Agreement exceed the fees paid by Customer in the twelve months preceding the claim.", StringComparison.Ordinal);
        Assert.DoesNotContain(agent.Assess(Contract(capped)).Reasons, r => r.Explanation.Contains("clause missing", StringComparison.Ordinal) || r.Explanation.StartsWith("risky clause", StringComparison.Ordinal));
    }

    /// <summary>
    /// The fit's policy score (used for its out-of-fold validation and the cross-validated policy figures) is the agent's:
    /// on every held-out contract both fire alike, and the validation is that decision against the primary label
    /// ("breaks the default policy") over the training contracts.
    /// </summary>
    [Fact]
    public void PolicyScore_DecidesAsTheFittedAgentDoes_AndTheValidationMeasuresThatDecision()
    {
        var set = LazyCuad.Value;
        var r = ClauseFitter.Fit(set, new FitOptions(), Quick, LazySpans.Value, new ComplianceCheckKind().BuiltIn);
        var model = TextModel.FromJson(r.Manifest.Parameters["clauseModel"], "parameters.clauseModel");
        var (require, flag) = ClauseFitter.PolicyOf(model);
        var agent = new ComplianceCheckKind().Create(r.Manifest);
        var docs = ClauseFitter.Documents(set, null);
        var (train, test) = HoldOutCases.Split(set, new FitOptions());

        Assert.Equal(["cap-on-liability"], require);
        Assert.Equal(["most-favored-nation"], flag);
        var fired = 0;
        foreach (var i in test)
        {
            var byAgent = agent.Assess(set.Cases[i].Snapshot.Only(r.Manifest.Reads));
            var byFit = ClauseFitter.PolicyScore(model, require, flag, c => docs[i].Sentences.Max(x => TextModel.Probability(model.Class(c)!, model.Vectorize(x))), r.Manifest.Threshold);
            Assert.Equal(byAgent.Fired, byFit >= r.Manifest.Threshold);
            Assert.Equal(byAgent.Score, byFit);
            fired += byAgent.Fired ? 1 : 0;
        }
        Assert.Equal((test.Length, test.Count(i => set.Cases[i].Label)), (r.Test.Cases, r.Test.Positives));
        Assert.InRange(fired, 1, test.Length);
        Assert.Equal((train.Length, train.Count(i => set.Cases[i].Label)), (r.Validation.Cases, r.Validation.Positives));
        Assert.Equal(r.Manifest.Threshold, r.Validation.Threshold);
    }

    private static Agents.CustomerSnapshot Contract(string text) => new("c-1", DateTimeOffset.UnixEpoch, new Dictionary<string, Agents.SnapshotField>
    {
        ["documents.text"] = Agents.SnapshotField.Of("documents.text", text, "ev-1"),
    });

    [Fact]
    public void WithoutSpans_FitsOnDocumentLabels_AndUnknownCategoriesAreRefused()
    {
        var steps = new List<(int Done, int Total)>();
        var r = ClauseFitter.Fit(LazyCuad.Value, new FitOptions { Progress = new Fitting.RenewalRiskFitterTests.Recorder(steps) }, Quick with { Categories = ["cap-on-liability"] }, null, new ComplianceCheckKind().BuiltIn);

        // One category fitted, then the figures.
        Assert.Equal([(1, 2), (2, 2)], steps);

        Assert.Contains("document-label", r.Manifest.Description, StringComparison.Ordinal);
        Assert.Equal(["cap-on-liability"], TextModel.FromJson(r.Manifest.Parameters["clauseModel"], "parameters.clauseModel").Classes.Select(c => c.Name));
        var ex = Assert.Throws<ArgumentException>(() => ClauseFitter.Fit(LazyCuad.Value, new FitOptions(), Quick with { Categories = ["telepathy"] }, null, new ComplianceCheckKind().BuiltIn));
        Assert.Contains("telepathy", ex.Message, StringComparison.Ordinal);
    }
}
