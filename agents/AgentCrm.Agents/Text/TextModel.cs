using System.Text.Json;
using AgentCrm.Agents.Models;

namespace AgentCrm.Agents.Text;

/// <summary>
/// A fitted text classifier stored under a manifest's <c>parameters.model</c> (<c>type: text</c>): a
/// vocabulary with idf shared by one or more named logistic classes (e.g. <c>unfair</c> and one per
/// clause category), each <c>p = sigmoid(bias + w · x)</c> over <see cref="TextVocabulary.Vectorize"/>. Optional
/// <c>cues</c> (<c>{ lexicon, shape, weight }</c>) add lexicon and sentence-shape terms; a class's <c>weights</c> are either
/// one per term or, with <c>at</c> (ascending term indices), only the non-zero ones.
/// Used by the compliance-check and tender-detection kinds; fitted by the sandbox.
/// </summary>
public sealed class TextModel
{
    public const string TypeName = "text";

    public TextModel(TextVocabulary vocabulary, IReadOnlyList<TextClass> classes)
    {
        Vocabulary = vocabulary;
        Classes = classes;
        foreach (var c in classes)
            if (c.Weights.Length != vocabulary.Count)
                throw new ArgumentException($"class '{c.Name}' has {c.Weights.Length} weights for {vocabulary.Count} terms.", nameof(classes));
    }

    public TextVocabulary Vocabulary { get; }

    public IReadOnlyList<TextClass> Classes { get; }

    public TextClass? Class(string name) => Classes.FirstOrDefault(c => c.Name == name);

    public SparseVector Vectorize(string text) => Vocabulary.Vectorize(text);

    /// <summary>The class's probability for an already vectorised text.</summary>
    public static double Probability(TextClass c, SparseVector x) => LinearModel.Sigmoid(Logit(c, x));

    /// <summary>The class's logit (<c>bias + w · x</c>) for an already vectorised text.</summary>
    public static double Logit(TextClass c, SparseVector x) => c.Bias + x.Dot(c.Weights);

    /// <summary>The terms that pushed the class's score up most, strongest first (what a brief can show).</summary>
    public IReadOnlyList<(string Term, double Contribution)> TopTerms(TextClass c, SparseVector x, int count)
    {
        var list = new List<(string, double)>();
        for (var i = 0; i < x.Indices.Length; i++)
        {
            var contribution = c.Weights[x.Indices[i]] * x.Values[i];
            if (contribution > 0)
                list.Add((Vocabulary.Terms[x.Indices[i]], contribution));
        }
        return list.OrderByDescending(t => t.Item2).ThenBy(t => t.Item1, StringComparer.Ordinal).Take(count).ToList();
    }

    public JsonElement ToJson() => RiskModel.Write(w =>
    {
        w.WriteStartObject();
        w.WriteString("type", TypeName);
        var f = Vocabulary.Featurizer;
        w.WriteNumber("words", f.WordNgrams);
        w.WriteStartArray("chars");
        w.WriteNumberValue(f.CharMin);
        w.WriteNumberValue(f.CharMax);
        w.WriteEndArray();
        if (f.HasCues)
        {
            w.WriteStartObject("cues");
            if (f.Lexicon is not null)
                w.WriteString("lexicon", f.Lexicon.Name);
            w.WriteBoolean("shape", f.Shape);
            w.WriteNumber("weight", f.CueWeight);
            w.WriteEndObject();
        }
        w.WriteStartArray("terms");
        foreach (var t in Vocabulary.Terms)
            w.WriteStringValue(t);
        w.WriteEndArray();
        w.WriteStartArray("idf");
        foreach (var v in Vocabulary.Idf)
            w.WriteNumberValue(Math.Round(v, 4));
        w.WriteEndArray();
        w.WriteStartObject("classes");
        foreach (var c in Classes)
        {
            w.WriteStartObject(c.Name);
            w.WriteNumber("bias", Math.Round(c.Bias, 6));
            w.WriteNumber("threshold", Math.Round(c.Threshold, 4));
            // Mostly-zero weights (pruned category classes) are stored sparsely: the term indices, then their weights.
            var nonZero = Enumerable.Range(0, c.Weights.Length).Where(i => Math.Round(c.Weights[i], 4) != 0).ToList();
            if (nonZero.Count * 2 < c.Weights.Length)
            {
                w.WriteStartArray("at");
                foreach (var i in nonZero)
                    w.WriteNumberValue(i);
                w.WriteEndArray();
                w.WriteStartArray("weights");
                foreach (var i in nonZero)
                    w.WriteNumberValue(Math.Round(c.Weights[i], 4));
                w.WriteEndArray();
            }
            else
            {
                w.WriteStartArray("weights");
                foreach (var v in c.Weights)
                    w.WriteNumberValue(Math.Round(v, 4));
                w.WriteEndArray();
            }
            w.WriteEndObject();
        }
        w.WriteEndObject();
        w.WriteEndObject();
    });

    /// <summary>Reads the JSON strictly; every problem is reported under its path.</summary>
    public static TextModel FromJson(JsonElement json, string path = "parameters.model") => new TextModelReader().Read(json, path);
}

/// <summary>One named logistic class of a <see cref="TextModel"/>.</summary>
/// <param name="Name">The class name (e.g. <c>unfair</c>, <c>arbitration</c>).</param>
/// <param name="Bias">The intercept.</param>
/// <param name="Weights">One weight per vocabulary term.</param>
/// <param name="Threshold">Probability at or above which the class is taken as present (chosen by the fit).</param>
public sealed record TextClass(string Name, double Bias, double[] Weights, double Threshold = 0.5);
