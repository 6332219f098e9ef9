namespace AgentCrm.Agents.Text;

/// <summary>A text as model inputs: vocabulary indices (ascending) and their values.</summary>
public sealed record SparseVector(int[] Indices, double[] Values)
{
    public static SparseVector Empty { get; } = new([], []);

    public double Dot(ReadOnlySpan<double> weights)
    {
        double sum = 0;
        for (var i = 0; i < Indices.Length; i++)
            sum += weights[Indices[i]] * Values[i];
        return sum;
    }
}
