using System.Text.Json;
using AgentCrm.Agents.Text;

namespace AgentCrm.Agents.Tests.Text;

/// <summary>Hand-written text models: a few word terms with idf 1 and readable weights, so expected scores are known.</summary>
internal static class TinyModels
{
    /// <summary>Builds a word-unigram model; <paramref name="classes"/> maps class → (bias, term → weight).</summary>
    public static TextModel Words(params (string Class, double Bias, (string Word, double Weight)[] Weights)[] classes)
    {
        var terms = classes.SelectMany(c => c.Weights.Select(w => "w " + w.Word)).Distinct().Order(StringComparer.Ordinal).ToArray();
        var vocabulary = new TextVocabulary(new TextFeaturizer(1, 0, 0), terms, terms.Select(_ => 1.0).ToArray());
        return new TextModel(vocabulary, classes.Select(c =>
        {
            var weights = new double[terms.Length];
            foreach (var (word, weight) in c.Weights)
                weights[Array.IndexOf(terms, "w " + word)] = weight;
            return new TextClass(c.Class, c.Bias, weights);
        }).ToList());
    }

    public static IReadOnlyDictionary<string, JsonElement> Parameters(params (string Key, object Value)[] entries) =>
        entries.ToDictionary(e => e.Key, e => e.Value is TextModel m ? m.ToJson() : JsonSerializer.SerializeToElement(e.Value), StringComparer.Ordinal);

    public static CustomerSnapshot Snapshot(params (string Field, object Value)[] fields) =>
        new("c-1", new DateTimeOffset(2026, 11, 20, 0, 0, 0, TimeSpan.Zero), fields.ToDictionary(f => f.Field,
            f => f.Value is string s ? SnapshotField.Of(f.Field, s, "ev-1") : SnapshotField.Of(f.Field, Convert.ToDouble(f.Value, System.Globalization.CultureInfo.InvariantCulture), "ev-1"),
            StringComparer.Ordinal));
}
