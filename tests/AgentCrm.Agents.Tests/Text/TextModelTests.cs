using System.Text.Json;
using AgentCrm.Agents.Text;

namespace AgentCrm.Agents.Tests.Text;

public sealed class TextModelTests
{
    [Fact]
    public void Featurizer_CountsWordsBigramsAndCharacterGramsInsidePaddedWords()
    {
        var (words, chars) = new TextFeaturizer(2, 3, 3).Count("Binding ARBITRATION, binding!");

        Assert.Equal(2, words["w binding"]);
        Assert.Equal(1, words["w arbitration"]);
        Assert.Equal(1, words["b binding arbitration"]);
        Assert.Equal(1, words["b arbitration binding"]);
        Assert.Equal(2, chars["c  bi"]);
        Assert.Equal(2, chars["c ng "]);
        Assert.DoesNotContain("c g a", chars.Keys);
    }

    [Fact]
    public void Vectorize_IsSublinearTfIdf_UnitLengthPerBlock_UnknownTermsIgnored()
    {
        var vocabulary = new TextVocabulary(new TextFeaturizer(1, 0, 0), ["w a", "w b"], [1.0, 2.0]);

        var x = vocabulary.Vectorize("a a b zzz");

        // a: (1 + ln 2) × 1, b: 1 × 2, then divided by the norm.
        var a = 1 + Math.Log(2);
        var norm = Math.Sqrt(a * a + 4);
        Assert.Equal([0, 1], x.Indices);
        Assert.Equal(a / norm, x.Values[0], 12);
        Assert.Equal(2 / norm, x.Values[1], 12);
        Assert.Empty(vocabulary.Vectorize("nothing known").Indices);
    }

    [Fact]
    public void Json_RoundTrips_AndScoresTheSame()
    {
        var model = TinyModels.Words(("unfair", -2, [("arbitration", 4), ("refund", -1)]));
        var back = TextModel.FromJson(model.ToJson());

        Assert.Equal(model.ToJson().GetRawText(), back.ToJson().GetRawText());
        var x = back.Vectorize("Any dispute goes to arbitration");
        Assert.Equal(1 / (1 + Math.Exp(-(-2 + 4))), TextModel.Probability(back.Class("unfair")!, x), 12);
        Assert.Equal("w arbitration", back.TopTerms(back.Class("unfair")!, x, 3).Single().Term);
    }

    [Fact]
    public void FromJson_ReportsEveryProblemByPath()
    {
        using var doc = JsonDocument.Parse("""
            { "type": "text", "words": 3, "chars": [5, 2], "terms": ["w a", "w a"], "idf": [1],
              "classes": { "unfair": { "bias": 0, "weights": [1, 2, 3] } }, "colour": 1 }
            """);

        var ex = Assert.Throws<ManifestException>(() => TextModel.FromJson(doc.RootElement));

        Assert.Contains("parameters.model.words", ex.Errors.Keys);
        Assert.Contains("parameters.model.chars", ex.Errors.Keys);
        Assert.Contains("parameters.model.idf", ex.Errors.Keys);
        Assert.Contains("parameters.model.terms", ex.Errors.Keys);
        Assert.Contains("parameters.model.classes.unfair.weights", ex.Errors.Keys);
        Assert.Contains("parameters.model.colour", ex.Errors.Keys);
    }

    [Fact]
    public void SentenceSplitter_SplitsLinesAndSentenceEnds_NotAbbreviationsInsideASentence()
    {
        var sentences = SentenceSplitter.Split("Welcome to Acme. We may change these terms at any time; You agree.\nSection 2\nPrices e.g. taxes apply.");

        Assert.Equal(["Welcome to Acme.", "We may change these terms at any time;", "You agree.", "Section 2", "Prices e.g. taxes apply."], sentences);
    }
}
