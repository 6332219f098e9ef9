using System.Text.Json;

namespace AgentCrm.Agents.Models;

/// <summary>
/// Gradient-boosted decision trees: <c>logit = baseScore + learningRate · Σ leaf</c>. Each tree is
/// a list of <see cref="TreeNode"/>s, the root first and every child after its parent. Reasons stay
/// per field by path attribution (Saabas): walking a tree, each split's change in expected value is
/// credited to its field. Every root's value is 0 (a tree's mean is folded into the base score), so
/// contributions per field add up exactly to <c>logit − baseScore</c>.
/// </summary>
public sealed class TreeModel : RiskModel
{
    public const string TypeName = "trees";

    // The trees flattened into arrays (children as absolute indices): scoring walks them without
    // interface calls, which keeps 5,000 assessments of a few hundred trees well under a second.
    private readonly int[] _roots;
    private readonly Flat[] _nodes;
    private readonly HashSet<string>?[] _categories;

    private readonly record struct Flat(int Field, int Left, int Right, bool MissingLeft, double Threshold, double Value);

    public TreeModel(double baseScore, double learningRate, IReadOnlyList<string> fields, IReadOnlyList<IReadOnlyList<TreeNode>> trees)
    {
        BaseScore = baseScore;
        LearningRate = learningRate;
        Fields = fields;
        Trees = trees;
        var count = trees.Sum(t => t.Count);
        _roots = new int[trees.Count];
        _nodes = new Flat[count];
        _categories = new HashSet<string>?[count];
        var offset = 0;
        for (var t = 0; t < trees.Count; t++)
        {
            _roots[t] = offset;
            for (var i = 0; i < trees[t].Count; i++)
            {
                var n = trees[t][i];
                var k = offset + i;
                _nodes[k] = new Flat(n.Field, n.IsLeaf ? -1 : offset + n.Left, n.IsLeaf ? -1 : offset + n.Right, n.MissingLeft, n.Threshold, n.Value);
                _categories[k] = n.Categories is { } c ? new HashSet<string>(c, StringComparer.Ordinal) : null;
            }
            offset += trees[t].Count;
        }
    }

    public override string Type => TypeName;

    public double BaseScore { get; }

    public double LearningRate { get; }

    public override double Bias => BaseScore;

    public override IReadOnlyList<string> Fields { get; }

    public IReadOnlyList<IReadOnlyList<TreeNode>> Trees { get; }

    public override double Logit(CustomerSnapshot s)
    {
        var (numbers, texts) = Resolve(s);
        double sum = 0;
        foreach (var root in _roots)
        {
            var i = root;
            while (_nodes[i].Left >= 0)
                i = Next(i, numbers, texts);
            sum += _nodes[i].Value;
        }
        return BaseScore + LearningRate * sum;
    }

    public override ModelEvaluation Evaluate(CustomerSnapshot s)
    {
        var (numbers, texts) = Resolve(s);
        var byField = new double[Fields.Count];
        double sum = 0;
        foreach (var root in _roots)
        {
            var i = root;
            while (_nodes[i].Left >= 0)
            {
                var next = Next(i, numbers, texts);
                byField[_nodes[i].Field] += _nodes[next].Value - _nodes[i].Value;
                i = next;
            }
            sum += _nodes[i].Value;
        }
        var contributions = new FieldContribution[Fields.Count];
        for (var f = 0; f < contributions.Length; f++)
            contributions[f] = new FieldContribution(Fields[f], LearningRate * byField[f]);
        return new ModelEvaluation(BaseScore + LearningRate * sum, contributions);
    }

    private int Next(int i, double[] numbers, string?[] texts)
    {
        ref readonly var n = ref _nodes[i];
        bool left;
        if (_categories[i] is { } set)
            left = texts[n.Field] is { } t ? set.Contains(t) : n.MissingLeft;
        else
            left = double.IsNaN(numbers[n.Field]) ? n.MissingLeft : numbers[n.Field] < n.Threshold;
        return left ? n.Left : n.Right;
    }

    /// <summary>Each field's number (NaN when unknown) and text, looked up once per snapshot.</summary>
    private (double[] Numbers, string?[] Texts) Resolve(CustomerSnapshot s)
    {
        var numbers = new double[Fields.Count];
        var texts = new string?[Fields.Count];
        for (var i = 0; i < numbers.Length; i++)
        {
            var f = s.Fields.TryGetValue(Fields[i], out var field) ? field : null;
            numbers[i] = f?.Number ?? double.NaN;
            texts[i] = f?.Text;
        }
        return (numbers, texts);
    }

    public override JsonElement ToJson() => Write(w =>
    {
        w.WriteStartObject();
        w.WriteString("type", TypeName);
        w.WriteNumber("baseScore", BaseScore);
        w.WriteNumber("learningRate", LearningRate);
        w.WriteStartArray("fields");
        foreach (var f in Fields)
            w.WriteStringValue(f);
        w.WriteEndArray();
        w.WriteStartArray("trees");
        foreach (var tree in Trees)
        {
            w.WriteStartArray();
            foreach (var n in tree)
                WriteNode(w, n);
            w.WriteEndArray();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    });

    private static void WriteNode(Utf8JsonWriter w, TreeNode n)
    {
        w.WriteStartObject();
        if (!n.IsLeaf)
        {
            w.WriteNumber("field", n.Field);
            if (n.Categories is { } categories)
            {
                w.WriteStartArray("categories");
                foreach (var c in categories)
                    w.WriteStringValue(c);
                w.WriteEndArray();
            }
            else
                w.WriteNumber("threshold", n.Threshold);
            w.WriteString("missing", n.MissingLeft ? "left" : "right");
            w.WriteNumber("left", n.Left);
            w.WriteNumber("right", n.Right);
        }
        w.WriteNumber("value", n.Value);
        w.WriteEndObject();
    }

    /// <summary>Reads and strictly checks a trees model; throws <see cref="ManifestException"/> keyed by JSON path under <paramref name="path"/>.</summary>
    public static TreeModel FromJson(JsonElement json, string path = "parameters.model") => TreeModelReader.Read(json, path);
}
