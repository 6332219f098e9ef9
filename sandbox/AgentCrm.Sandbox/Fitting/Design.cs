using AgentCrm.Agents;
using AgentCrm.Agents.Models;

namespace AgentCrm.Sandbox.Fitting;

/// <summary>
/// The encoded inputs of a set of snapshots, one sparse row each (one-hot inputs are mostly zero).
/// Encoding goes through <see cref="LinearModel.Encode"/>, the code that scores live.
/// </summary>
internal sealed class Design
{
    private Design(int width, int[][] indices, double[][] values)
    {
        Width = width;
        Indices = indices;
        Values = values;
    }

    public int Width { get; }

    public int[][] Indices { get; }

    public double[][] Values { get; }

    public int Rows => Indices.Length;

    public static Design Encode(LinearModel model, IReadOnlyList<CustomerSnapshot> snapshots)
    {
        var indices = new int[snapshots.Count][];
        var values = new double[snapshots.Count][];
        var x = new double[model.Width];
        var idx = new List<int>();
        var val = new List<double>();
        for (var r = 0; r < snapshots.Count; r++)
        {
            model.Encode(snapshots[r], x);
            idx.Clear();
            val.Clear();
            for (var j = 0; j < x.Length; j++)
                if (x[j] != 0)
                {
                    idx.Add(j);
                    val.Add(x[j]);
                }
            indices[r] = [.. idx];
            values[r] = [.. val];
        }
        return new Design(model.Width, indices, values);
    }

    public Design Subset(IReadOnlyList<int> rows) =>
        new(Width, rows.Select(r => Indices[r]).ToArray(), rows.Select(r => Values[r]).ToArray());

    public double Logit(int row, double intercept, double[] weights)
    {
        var z = intercept;
        var idx = Indices[row];
        var val = Values[row];
        for (var k = 0; k < idx.Length; k++)
            z += weights[idx[k]] * val[k];
        return z;
    }
}
