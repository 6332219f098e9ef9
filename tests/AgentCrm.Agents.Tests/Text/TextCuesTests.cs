using System.Text.Json;
using AgentCrm.Agents.Text;

namespace AgentCrm.Agents.Tests.Text;

/// <summary>Lexicon and sentence-shape cues: what a text counts, how the model stores them, and that scoring reads them back.</summary>
public sealed class TextCuesTests
{
    private static readonly TextLexicon Lexicon = TextLexicon.Parse("test", """
        # a comment
        [arbitration]
        binding arbitration
        arbitrat*
        [termination]
        terminat*   # prefix
        close your account
        """);

    [Fact]
    public void Lexicon_CountsEveryCuePhrasePerCategory_PrefixesMatchWordStarts()
    {
        var cues = new TextFeaturizer(1, 0, 0) { Lexicon = Lexicon }.Cues("Disputes go to BINDING arbitration; the arbitrator decides. We may terminate or close your account.");

        // "binding arbitration" once, "arbitrat*" twice (arbitration, arbitrator).
        Assert.Equal(3, cues["l arbitration"]);
        Assert.Equal(2, cues["l termination"]);
        Assert.Equal(["l arbitration", "l termination"], cues.Keys.Order(StringComparer.Ordinal));
        Assert.Empty(new TextFeaturizer(1, 0, 0) { Lexicon = Lexicon }.Cues("Nothing to see: arbitrary terms."));
    }

    [Fact]
    public void Lexicon_PhraseBeforeAnyCategory_IsRejectedWithItsLine()
    {
        var ex = Assert.Throws<FormatException>(() => TextLexicon.Parse("bad", "# header\nsole discretion\n[discretion]\n"));

        Assert.Contains("line 2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ShippedLexicons_Load_WithTheirCategories()
    {
        Assert.Contains("claudette-categories", TextLexicon.Names);
        Assert.Contains("gsin-ict", TextLexicon.Names);
        var claudette = TextLexicon.Load("claudette-categories")!;
        Assert.Contains("arbitration", claudette.Categories);
        Assert.Contains("limitation-of-liability", claudette.Categories);
        Assert.Null(TextLexicon.Load("nope"));
        var cues = new TextFeaturizer(1, 0, 0) { Lexicon = TextLexicon.Load("gsin-ict") }.Cues("Licences de logiciels et maintenance - Software licensing");
        Assert.True(cues.GetValueOrDefault("l software") >= 3, string.Join(", ", cues));
    }

    [Fact]
    public void Shape_CountsLengthBucket_Capitals_AndWhomTheModalsBind()
    {
        var f = new TextFeaturizer(1, 0, 0) { Shape = true };

        var provider = f.Cues("We may suspend the service and you may not object.");
        Assert.Equal(1, provider["s provider modal"]);
        Assert.Equal(1, provider["s user modal"]);
        Assert.Equal(1, provider["s len 6-12"]);
        Assert.DoesNotContain("s caps", provider.Keys);
        Assert.Equal(1, f.Cues("IN NO EVENT SHALL THE COMPANY BE LIABLE FOR ANY DAMAGES.")["s caps"]);
        Assert.Empty(new TextFeaturizer(1, 0, 0).Cues("We may suspend the service."));
    }

    [Fact]
    public void Vectorize_CueBlockHasItsOwnLength_BesideTheUnitLengthWords()
    {
        var featurizer = new TextFeaturizer(1, 0, 0) { Lexicon = Lexicon, CueWeight = 0.5 };
        var vocabulary = new TextVocabulary(featurizer, ["l arbitration", "w arbitration", "w binding"], [2.0, 1.0, 1.0]);

        var x = vocabulary.Vectorize("binding arbitration");

        Assert.Equal([0, 1, 2], x.Indices);
        Assert.Equal(0.5, x.Values[0], 12);
        Assert.Equal(1 / Math.Sqrt(2), x.Values[1], 12);
        Assert.Equal(1 / Math.Sqrt(2), x.Values[2], 12);
    }

    [Fact]
    public void Json_WithCuesAndSparseWeights_RoundTrips_AndScoresTheSame()
    {
        var featurizer = new TextFeaturizer(1, 0, 0) { Lexicon = TextLexicon.Load("claudette-categories"), Shape = true, CueWeight = 0.7 };
        var terms = new[] { "l arbitration", "s caps", "w a", "w arbitration", "w b", "w c" };
        var model = new TextModel(new TextVocabulary(featurizer, terms, terms.Select(_ => 1.0).ToArray()),
            [new TextClass("unfair", -1, [2, 1, 0, 0.5, 0, 0], 0.4), new TextClass("arbitration", -2, [3, 0, 0, 0, 0, 0], 0.3)]);

        var json = model.ToJson();
        var back = TextModel.FromJson(json);

        Assert.Equal("claudette-categories", json.GetProperty("cues").GetProperty("lexicon").GetString());
        Assert.Equal([0], json.GetProperty("classes").GetProperty("arbitration").GetProperty("at").EnumerateArray().Select(v => v.GetInt32()));
        Assert.False(json.GetProperty("classes").GetProperty("unfair").TryGetProperty("at", out _));
        Assert.Equal(json.GetRawText(), back.ToJson().GetRawText());
        Assert.Equal(featurizer, back.Vocabulary.Featurizer);
        const string text = "ANY DISPUTE GOES TO BINDING ARBITRATION.";
        foreach (var c in model.Classes)
            Assert.Equal(TextModel.Probability(c, model.Vectorize(text)), TextModel.Probability(back.Class(c.Name)!, back.Vectorize(text)), 12);
        Assert.Contains(back.Vectorize(text).Indices, i => back.Vocabulary.Terms[i] == "s caps");
    }

    [Fact]
    public void FromJson_UnknownLexicon_AndBadSparseIndices_AreReportedByPath()
    {
        using var doc = JsonDocument.Parse("""
            { "type": "text", "words": 1, "chars": [0, 0], "cues": { "lexicon": "nope", "shape": "yes", "weight": 0.5 },
              "terms": ["w a", "w b"], "idf": [1, 1],
              "classes": { "unfair": { "bias": 0, "at": [1, 0], "weights": [1, 2] }, "other": { "bias": 0, "at": [0], "weights": [1, 2] } } }
            """);

        var ex = Assert.Throws<ManifestException>(() => TextModel.FromJson(doc.RootElement));

        Assert.Contains("parameters.model.cues.lexicon", ex.Errors.Keys);
        Assert.Contains("parameters.model.cues.shape", ex.Errors.Keys);
        Assert.Contains("parameters.model.classes.unfair.at", ex.Errors.Keys);
        Assert.Contains("parameters.model.classes.other.weights", ex.Errors.Keys);
    }
}
