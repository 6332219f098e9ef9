using System.Text.Json;
using AgentCrm.Agents.Customers;

namespace AgentCrm.Agents.Models;

/// <summary>Strict reading of a <c>type: trees</c> model: collects every problem by JSON path, then throws once.</summary>
internal sealed class TreeModelReader : ModelJsonReader
{
    public const double MaxValue = 1000;
    public const double MaxBaseScore = 50;
    public const int MaxFields = 1000;
    public const int MaxTrees = 2000;
    public const int MaxNodesPerTree = 1023;

    private static readonly string[] ModelKeys = ["type", "baseScore", "learningRate", "fields", "trees"];
    private static readonly string[] SplitKeys = ["field", "threshold", "categories", "missing", "left", "right", "value"];
    private static readonly string[] LeafKeys = ["value"];

    public static TreeModel Read(JsonElement json, string path)
    {
        var reader = new TreeModelReader();
        return reader.Finish(reader.ReadModel(json, path));
    }

    private TreeModel? ReadModel(JsonElement json, string path)
    {
        if (json.ValueKind != JsonValueKind.Object)
        {
            Error(path, "must be an object with baseScore, learningRate, fields and trees.");
            return null;
        }
        OnlyKeys(json, path, ModelKeys);
        var baseScore = Number(json, "baseScore", path, -MaxBaseScore, MaxBaseScore);
        var learningRate = Number(json, "learningRate", path, 1e-6, 1);
        var fields = Fields(json, path);
        var trees = new List<IReadOnlyList<TreeNode>>();
        if (!json.TryGetProperty("trees", out var list) || list.ValueKind != JsonValueKind.Array)
            Error($"{path}.trees", "is required: a list of trees, each a list of nodes.");
        else if (list.GetArrayLength() > MaxTrees)
            Error($"{path}.trees", $"has more than {MaxTrees} trees.");
        else
        {
            var i = 0;
            foreach (var t in list.EnumerateArray())
                if (Tree(t, $"{path}.trees[{i++}]", fields.Count) is { } tree)
                    trees.Add(tree);
        }
        return new TreeModel(baseScore, learningRate, fields, trees);
    }

    private List<string> Fields(JsonElement json, string path)
    {
        var names = new List<string>();
        if (!json.TryGetProperty("fields", out var v) || v.ValueKind != JsonValueKind.Array || v.GetArrayLength() is 0 or > MaxFields)
        {
            Error($"{path}.fields", $"is required: a list of 1 to {MaxFields} snapshot fields the splits refer to by index.");
            return names;
        }
        var i = 0;
        foreach (var item in v.EnumerateArray())
        {
            var itemPath = $"{path}.fields[{i++}]";
            var name = item.ValueKind == JsonValueKind.String ? item.GetString()! : null;
            if (name is null || !FieldCatalog.IsValid(name))
                Error(itemPath, $"must be a snapshot field name (prefix.name with prefix one of {string.Join(", ", FieldCatalog.Prefixes.Keys)}).");
            else if (names.Contains(name, StringComparer.Ordinal))
                Error(itemPath, $"'{name}' is listed twice.");
            names.Add(name ?? "");
        }
        return names;
    }

    private List<TreeNode>? Tree(JsonElement t, string path, int fieldCount)
    {
        if (t.ValueKind != JsonValueKind.Array || t.GetArrayLength() is 0 or > MaxNodesPerTree)
        {
            Error(path, $"must be a list of 1 to {MaxNodesPerTree} nodes, the root first.");
            return null;
        }
        var before = ErrorCount;
        var count = t.GetArrayLength();
        var parents = new int[count];
        var nodes = new List<TreeNode>(count);
        var i = 0;
        foreach (var n in t.EnumerateArray())
        {
            var nodePath = $"{path}[{i}]";
            if (Node(n, nodePath, i, count, fieldCount) is { } node)
            {
                nodes.Add(node);
                if (!node.IsLeaf)
                {
                    parents[node.Left]++;
                    parents[node.Right]++;
                }
            }
            i++;
        }
        if (ErrorCount != before)
            return null;
        if (nodes[0].Value != 0)
            Error($"{path}[0].value", "must be 0: a tree's mean belongs in baseScore, so contributions add up to logit − baseScore.");
        for (var k = 1; k < count; k++)
            if (parents[k] != 1)
                Error($"{path}[{k}]", parents[k] == 0 ? "is not a child of any node." : "is the child of more than one node.");
        return ErrorCount == before ? nodes : null;
    }

    private TreeNode? Node(JsonElement n, string path, int index, int count, int fieldCount)
    {
        if (n.ValueKind != JsonValueKind.Object)
        {
            Error(path, "must be a split { field, threshold or categories, missing, left, right, value } or a leaf { value }.");
            return null;
        }
        var before = ErrorCount;
        var value = Number(n, "value", path, -MaxValue, MaxValue);
        if (!n.TryGetProperty("field", out _))
        {
            OnlyKeys(n, path, LeafKeys);
            return ErrorCount == before ? TreeNode.Leaf(value) : null;
        }
        OnlyKeys(n, path, SplitKeys);
        var field = Index(n, "field", path, 0, fieldCount - 1, "an index into fields");
        var left = Index(n, "left", path, index + 1, count - 1, "the index of a later node in this tree");
        var right = Index(n, "right", path, index + 1, count - 1, "the index of a later node in this tree");
        if (left == right && !HasError($"{path}.left"))
            Error($"{path}.right", "must differ from left.");
        var missing = n.TryGetProperty("missing", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
        if (missing is not ("left" or "right"))
            Error($"{path}.missing", "is required: \"left\" or \"right\" (where an unknown value goes).");
        var hasThreshold = n.TryGetProperty("threshold", out _);
        var hasCategories = n.TryGetProperty("categories", out var cs);
        if (hasThreshold == hasCategories)
        {
            Error($"{path}.threshold", "a split has either a threshold (numeric field) or categories (text field), not both or neither.");
            return null;
        }
        if (hasThreshold)
        {
            var threshold = Number(n, "threshold", path, -1e15, 1e15);
            return ErrorCount == before ? TreeNode.Numeric(field, threshold, missing == "left", left, right, value) : null;
        }
        var categories = new List<string>();
        if (cs.ValueKind != JsonValueKind.Array || cs.GetArrayLength() == 0)
            Error($"{path}.categories", "must be a non-empty list of the texts that go left.");
        else
            foreach (var c in cs.EnumerateArray())
                if (c.ValueKind == JsonValueKind.String)
                    categories.Add(c.GetString()!);
                else
                    Error($"{path}.categories[{categories.Count}]", "must be a text.");
        return ErrorCount == before ? TreeNode.Categorical(field, categories, missing == "left", left, right, value) : null;
    }

    private int Index(JsonElement o, string key, string path, int min, int max, string what)
    {
        if (o.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) && i >= min && i <= max)
            return i;
        Error($"{path}.{key}", $"is required: {what} ({min} to {max}).");
        return -1;
    }
}
