namespace AgentCrm.Agents.Models;

/// <summary>
/// One node of a <see cref="TreeModel"/> tree. A split sends a snapshot left when its numeric field
/// is below <see cref="Threshold"/> (or its text field is one of <see cref="Categories"/>), right
/// otherwise, and an unknown value the <see cref="MissingLeft"/> way. <see cref="Value"/> is the
/// node's expected value (a leaf's output); path attribution credits each step's change in it to
/// the split's field.
/// </summary>
public sealed class TreeNode
{
    private TreeNode(int field, double threshold, IReadOnlyList<string>? categories, bool missingLeft, int left, int right, double value)
    {
        Field = field;
        Threshold = threshold;
        Categories = categories;
        MissingLeft = missingLeft;
        Left = left;
        Right = right;
        Value = value;
    }

    public static TreeNode Leaf(double value) => new(-1, 0, null, false, -1, -1, value);

    public static TreeNode Numeric(int field, double threshold, bool missingLeft, int left, int right, double value) =>
        new(field, threshold, null, missingLeft, left, right, value);

    public static TreeNode Categorical(int field, IReadOnlyList<string> categories, bool missingLeft, int left, int right, double value) =>
        new(field, 0, categories, missingLeft, left, right, value);

    /// <summary>Index into the model's fields; -1 for a leaf.</summary>
    public int Field { get; }

    public double Threshold { get; }

    /// <summary>The texts that go left, or null for a numeric split.</summary>
    public IReadOnlyList<string>? Categories { get; }

    public bool MissingLeft { get; }

    public int Left { get; }

    public int Right { get; }

    public double Value { get; }

    public bool IsLeaf => Left < 0;
}
