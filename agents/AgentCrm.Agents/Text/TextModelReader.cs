using System.Text.Json;
using AgentCrm.Agents.Models;

namespace AgentCrm.Agents.Text;

/// <summary>Strict reader of <see cref="TextModel"/> JSON: every problem is collected under its JSON path.</summary>
internal sealed class TextModelReader : ModelJsonReader
{
    private static readonly string[] Keys = ["type", "words", "chars", "cues", "terms", "idf", "classes"];

    public TextModel Read(JsonElement o, string path)
    {
        if (o.ValueKind != JsonValueKind.Object)
        {
            Error(path, "must be an object: { type: text, words, chars, terms, idf, classes }.");
            return Finish<TextModel>(null);
        }
        OnlyKeys(o, path, Keys);
        if (!o.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String || type.GetString() != TextModel.TypeName)
            Error($"{path}.type", $"must be \"{TextModel.TypeName}\".");
        var words = (int)Number(o, "words", path, 1, 2);
        int charMin = 0, charMax = 0;
        if (o.TryGetProperty("chars", out var chars))
        {
            if (chars.ValueKind != JsonValueKind.Array || chars.GetArrayLength() != 2
                || !chars[0].TryGetInt32(out charMin) || !chars[1].TryGetInt32(out charMax) || charMin < 0 || charMax > 8 || (charMin > 0 && charMax < charMin))
                Error($"{path}.chars", "must be [min, max] character n-gram lengths (0 ≤ min ≤ max ≤ 8; [0, 0] for none).");
        }
        TextLexicon? lexicon = null;
        var shape = false;
        var cueWeight = 0.5;
        if (o.TryGetProperty("cues", out var cues))
        {
            var cp = $"{path}.cues";
            if (cues.ValueKind != JsonValueKind.Object)
                Error(cp, "must be { lexicon, shape, weight }.");
            else
            {
                OnlyKeys(cues, cp, ["lexicon", "shape", "weight"]);
                if (cues.TryGetProperty("lexicon", out var lx) && (lx.ValueKind != JsonValueKind.String || (lexicon = TextLexicon.Load(lx.GetString()!)) is null))
                    Error($"{cp}.lexicon", $"must name a shipped lexicon: {string.Join(", ", TextLexicon.Names)}.");
                if (cues.TryGetProperty("shape", out var sh))
                {
                    if (sh.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                        Error($"{cp}.shape", "must be true or false.");
                    else
                        shape = sh.GetBoolean();
                }
                cueWeight = Number(cues, "weight", cp, 0, 10);
            }
        }
        var terms = Strings(o, "terms", path);
        var idf = Numbers(o, "idf", path, 0, 100);
        if (terms is not null && idf is not null && terms.Length != idf.Length)
            Error($"{path}.idf", $"must have one value per term ({terms.Length}), has {idf.Length}.");
        if (terms is not null && terms.Distinct(StringComparer.Ordinal).Count() != terms.Length)
            Error($"{path}.terms", "must not repeat a term.");
        var classes = new List<TextClass>();
        if (!o.TryGetProperty("classes", out var cs) || cs.ValueKind != JsonValueKind.Object || !cs.EnumerateObject().Any())
            Error($"{path}.classes", "must be an object of name → { bias, weights } with at least one class.");
        else
            foreach (var c in cs.EnumerateObject())
            {
                var cp = $"{path}.classes.{c.Name}";
                if (c.Value.ValueKind != JsonValueKind.Object)
                {
                    Error(cp, "must be { bias, weights }.");
                    continue;
                }
                OnlyKeys(c.Value, cp, ["bias", "threshold", "at", "weights"]);
                var bias = Number(c.Value, "bias", cp, -100, 100);
                var threshold = c.Value.TryGetProperty("threshold", out _) ? Number(c.Value, "threshold", cp, 0, 1) : 0.5;
                var weights = Numbers(c.Value, "weights", cp, -1000, 1000);
                if (c.Value.TryGetProperty("at", out _))
                {
                    // Sparse: weights[k] belongs to term at[k]; the indices ascend and name terms.
                    var at = Numbers(c.Value, "at", cp, 0, terms?.Length - 1 ?? int.MaxValue);
                    if (at is not null && at.Where((v, k) => v != Math.Floor(v) || (k > 0 && v <= at[k - 1])).Any())
                        Error($"{cp}.at", "must be whole term indices in ascending order.");
                    else if (at is not null && weights is not null && at.Length != weights.Length)
                        Error($"{cp}.weights", $"must have one weight per index in at ({at.Length}), has {weights.Length}.");
                    else if (at is not null && weights is not null && terms is not null)
                    {
                        var dense = new double[terms.Length];
                        for (var k = 0; k < at.Length; k++)
                            dense[(int)at[k]] = weights[k];
                        weights = dense;
                    }
                }
                else if (weights is not null && terms is not null && weights.Length != terms.Length)
                    Error($"{cp}.weights", $"must have one weight per term ({terms.Length}), has {weights.Length}.");
                if (weights is not null && terms is not null && weights.Length == terms.Length)
                    classes.Add(new TextClass(c.Name, bias, weights, threshold));
            }
        if (ErrorCount > 0)
            return Finish<TextModel>(null);
        return new TextModel(new TextVocabulary(new TextFeaturizer(words, charMin, charMax) { Lexicon = lexicon, Shape = shape, CueWeight = cueWeight }, terms!, idf!), classes);
    }

    private string[]? Strings(JsonElement o, string key, string path)
    {
        if (!o.TryGetProperty(key, out var a) || a.ValueKind != JsonValueKind.Array)
        {
            Error($"{path}.{key}", "must be an array of strings.");
            return null;
        }
        var list = new string[a.GetArrayLength()];
        var i = 0;
        foreach (var v in a.EnumerateArray())
        {
            if (v.ValueKind != JsonValueKind.String || v.GetString() is not { Length: > 0 } s)
            {
                Error($"{path}.{key}[{i}]", "must be a non-empty string.");
                return null;
            }
            list[i++] = s;
        }
        return list;
    }

    private double[]? Numbers(JsonElement o, string key, string path, double min, double max)
    {
        if (!o.TryGetProperty(key, out var a) || a.ValueKind != JsonValueKind.Array)
        {
            Error($"{path}.{key}", "must be an array of numbers.");
            return null;
        }
        var list = new double[a.GetArrayLength()];
        var i = 0;
        foreach (var v in a.EnumerateArray())
        {
            if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out var d) || d < min || d > max)
            {
                Error($"{path}.{key}[{i}]", $"must be a number between {min:G} and {max:G}.");
                return null;
            }
            list[i++] = d;
        }
        return list;
    }
}
