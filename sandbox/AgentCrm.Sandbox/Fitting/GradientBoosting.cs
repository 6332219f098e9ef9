using AgentCrm.Agents.Models;

namespace AgentCrm.Sandbox.Fitting;

/// <summary>
/// Gradient boosting of depth-limited trees on binned inputs for the logistic loss (second order,
/// as XGBoost): a leaf's value is −G/(H + λ), a split must gain and leave each side a summed hessian
/// of at least the minimum child weight, and unknown values go whichever way gains more. Histogram
/// splits over <see cref="TreeInputs"/> bins; categorical splits order the categories by G/(H + λ)
/// and cut that order once. No randomness: the same rows give the same trees.
/// </summary>
internal sealed class GradientBoosting(TreeInputs inputs, ushort[] x, bool[] labels, TreeOptions o)
{
    private readonly int _width = inputs.Count;
    private readonly int[] _offsets = Offsets(inputs.Bins);
    private readonly int[][] _ascending = inputs.Bins.Select(b => Enumerable.Range(0, b - 1).ToArray()).ToArray();

    /// <summary>A grown node: split on <see cref="Field"/> (bins below <see cref="Bin"/>, or in <see cref="LeftBins"/>, go left), or a leaf.</summary>
    public sealed class Node
    {
        public int Field = -1;
        public int Bin;
        public bool[]? LeftBins;
        public bool MissingLeft;
        public int Left = -1;
        public int Right = -1;
        public double Value;
        public double Hessian;
    }

    public double BaseScore(int[] rows)
    {
        var positives = rows.Count(r => labels[r]);
        return Math.Log((positives + 0.5) / (rows.Length - positives + 0.5));
    }

    /// <summary>Boosts <paramref name="rounds"/> trees on <paramref name="rows"/>.</summary>
    public List<Node[]> Fit(int[] rows, int rounds)
    {
        var trees = new List<Node[]>(rounds);
        foreach (var _ in Rounds(rows, trees, []).Take(rounds))
        {
        }
        return trees;
    }

    /// <summary>
    /// Boosts trees on <paramref name="rows"/> one at a time, adding each to <paramref name="trees"/> and
    /// yielding the <paramref name="held"/> rows' logits after it (the same array each time).
    /// </summary>
    public IEnumerable<double[]> Rounds(int[] rows, List<Node[]> trees, int[] held)
    {
        var baseScore = BaseScore(rows);
        var margin = new double[labels.Length];
        var g = new double[labels.Length];
        var h = new double[labels.Length];
        foreach (var r in rows)
            margin[r] = baseScore;
        var heldMargin = held.Select(_ => baseScore).ToArray();
        while (true)
        {
            foreach (var r in rows)
            {
                var p = 1 / (1 + Math.Exp(-margin[r]));
                g[r] = p - (labels[r] ? 1 : 0);
                h[r] = Math.Max(p * (1 - p), 1e-16);
            }
            var nodes = new List<Node>();
            Grow(nodes, rows, Histogram(rows, g, h), 0, g, h, margin);
            var tree = nodes.ToArray();
            trees.Add(tree);
            for (var k = 0; k < held.Length; k++)
                heldMargin[k] += o.LearningRate * Leaf(tree, held[k]).Value;
            yield return heldMargin;
        }
    }

    public Node Leaf(Node[] tree, int row)
    {
        var node = tree[0];
        while (node.Left >= 0)
            node = tree[GoesLeft(node, x[row * _width + node.Field]) ? node.Left : node.Right];
        return node;
    }

    private bool GoesLeft(Node n, int bin) =>
        bin == inputs.Bins[n.Field] - 1 ? n.MissingLeft : n.LeftBins is { } set ? set[bin] : bin < n.Bin;

    /// <summary>Summed gradients and hessians per field and bin (at <see cref="_offsets"/>) over <paramref name="rows"/>.</summary>
    private (double[] G, double[] H) Histogram(int[] rows, double[] g, double[] h)
    {
        var hg = new double[_offsets[^1]];
        var hh = new double[_offsets[^1]];
        foreach (var r in rows)
        {
            var (gr, hr, row) = (g[r], h[r], r * _width);
            for (var f = 0; f < _width; f++)
            {
                var b = _offsets[f] + x[row + f];
                hg[b] += gr;
                hh[b] += hr;
            }
        }
        return (hg, hh);
    }

    private int Grow(List<Node> nodes, int[] rows, (double[] G, double[] H) hist, int depth, double[] g, double[] h, double[] margin)
    {
        double gs = 0, hs = 0;
        foreach (var r in rows)
        {
            gs += g[r];
            hs += h[r];
        }
        var node = new Node { Hessian = hs };
        var index = nodes.Count;
        nodes.Add(node);
        if (depth < o.Depth && BestSplit(hist.G, hist.H, gs, hs) is { } split)
        {
            node.Field = split.Field;
            node.Bin = split.Bin;
            node.LeftBins = split.LeftBins;
            node.MissingLeft = split.MissingLeft;
            var (goLeft, goRight) = Partition(node, rows);
            // Histogram the smaller child; the larger one's is the parent's minus it.
            var small = Histogram(goLeft.Length <= goRight.Length ? goLeft : goRight, g, h);
            var large = (G: new double[hist.G.Length], H: new double[hist.H.Length]);
            for (var i = 0; i < large.G.Length; i++)
            {
                large.G[i] = hist.G[i] - small.G[i];
                large.H[i] = hist.H[i] - small.H[i];
            }
            var (leftHist, rightHist) = goLeft.Length <= goRight.Length ? (small, large) : (large, small);
            node.Left = Grow(nodes, goLeft, leftHist, depth + 1, g, h, margin);
            node.Right = Grow(nodes, goRight, rightHist, depth + 1, g, h, margin);
            var (l, rt) = (nodes[node.Left], nodes[node.Right]);
            // The node's expected value: what path attribution measures each step from.
            node.Value = (l.Hessian * l.Value + rt.Hessian * rt.Value) / (l.Hessian + rt.Hessian);
            return index;
        }
        node.Value = -gs / (hs + o.L2);
        foreach (var r in rows)
            margin[r] += o.LearningRate * node.Value;
        return index;
    }

    private (int[] Left, int[] Right) Partition(Node node, int[] rows)
    {
        var left = new int[rows.Length];
        var right = new int[rows.Length];
        int nl = 0, nr = 0;
        foreach (var r in rows)
        {
            if (GoesLeft(node, x[r * _width + node.Field]))
                left[nl++] = r;
            else
                right[nr++] = r;
        }
        return (left[..nl], right[..nr]);
    }

    private sealed record Split(int Field, int Bin, bool[]? LeftBins, bool MissingLeft);

    private Split? BestSplit(double[] hg, double[] hh, double gs, double hs)
    {
        var parent = Score(gs, hs);
        double bestGain = 1e-9;
        Split? best = null;
        for (var f = 0; f < _width; f++)
        {
            var off = _offsets[f];
            var real = inputs.Bins[f] - 1;
            var (gm, hm) = (hg[off + real], hh[off + real]);
            // Numeric: bins in ascending order; text: categories by G/(H + λ).
            var bins = inputs.Categories[f] is null
                ? _ascending[f]
                : _ascending[f].Where(b => hh[off + b] > 0).OrderBy(b => hg[off + b] / (hh[off + b] + o.L2)).ThenBy(b => b).ToArray();
            double gl = 0, hl = 0;
            for (var k = 0; k < bins.Length - 1; k++)
            {
                gl += hg[off + bins[k]];
                hl += hh[off + bins[k]];
                foreach (var missingLeft in (ReadOnlySpan<bool>)[false, true])
                {
                    var (gL, hL) = missingLeft ? (gl + gm, hl + hm) : (gl, hl);
                    var (gR, hR) = (gs - gL, hs - hL);
                    if (hL < o.MinChildWeight || hR < o.MinChildWeight)
                        continue;
                    var gain = Score(gL, hL) + Score(gR, hR) - parent;
                    if (gain > bestGain)
                    {
                        bestGain = gain;
                        best = inputs.Categories[f] is null
                            ? new Split(f, bins[k] + 1, null, missingLeft)
                            : new Split(f, 0, LeftSet(bins, k, real + 1), missingLeft);
                    }
                }
            }
        }
        return best;
    }

    private static bool[] LeftSet(int[] order, int last, int size)
    {
        var set = new bool[size];
        for (var k = 0; k <= last; k++)
            set[order[k]] = true;
        return set;
    }

    private double Score(double g, double h) => g * g / (h + o.L2);

    private static int[] Offsets(int[] bins)
    {
        var offsets = new int[bins.Length + 1];
        for (var f = 0; f < bins.Length; f++)
            offsets[f + 1] = offsets[f] + bins[f];
        return offsets;
    }

    /// <summary>
    /// The trees as a <see cref="TreeModel"/>: bins become thresholds and category sets, only fields
    /// some split uses are listed, each tree's root value moves into the base score (so contributions
    /// add up to logit − baseScore), trees without a split are dropped, values rounded for the manifest.
    /// </summary>
    public TreeModel ToModel(double baseScore, IReadOnlyList<Node[]> trees, int decimals)
    {
        var used = trees.SelectMany(t => t).Where(n => n.Left >= 0).Select(n => n.Field).Distinct().Order().ToArray();
        var index = used.Select((f, i) => (f, i)).ToDictionary(p => p.f, p => p.i);
        var bias = baseScore;
        var result = new List<IReadOnlyList<TreeNode>>();
        foreach (var tree in trees)
        {
            if (tree[0].Left < 0)
            {
                bias += o.LearningRate * tree[0].Value;
                continue;
            }
            var root = tree[0].Value;
            bias += o.LearningRate * root;
            result.Add(tree.Select(n =>
            {
                var value = Math.Round(n.Value - root, decimals);
                if (n.Left < 0)
                    return TreeNode.Leaf(value);
                var f = n.Field;
                return inputs.Edges[f] is { } edges
                    ? TreeNode.Numeric(index[f], edges[n.Bin - 1], n.MissingLeft, n.Left, n.Right, value)
                    : TreeNode.Categorical(index[f], inputs.Categories[f]!.Where((_, b) => n.LeftBins![b]).ToArray(), n.MissingLeft, n.Left, n.Right, value);
            }).ToArray());
        }
        return new TreeModel(Math.Round(bias, decimals), o.LearningRate, used.Select(f => inputs.Fields[f]).ToArray(), result);
    }
}
