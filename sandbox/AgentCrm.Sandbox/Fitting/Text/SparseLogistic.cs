using AgentCrm.Agents.Text;

namespace AgentCrm.Sandbox.Fitting.Text;

/// <summary>
/// L2-regularised logistic regression over sparse rows, minimised by L-BFGS (two-loop recursion, 10 pairs,
/// backtracking Armijo line search): Σ cᵢ·log-loss + λ/2·‖w‖², the bias unpenalised, positives weighted by
/// <c>positiveWeight</c>. Sequential sums and a fixed start, so the same data always give the same weights.
/// </summary>
internal static class SparseLogistic
{
    private const int Memory = 10;

    public static (double Bias, double[] Weights) Fit(IReadOnlyList<SparseVector> rows, IReadOnlyList<bool> labels, int dimension,
        double lambda, double positiveWeight = 1, int maxIterations = 300, double tolerance = 1e-5)
    {
        var n = dimension + 1; // the last coordinate is the bias
        var x = new double[n];
        var positives = labels.Count(l => l);
        if (positives > 0 && positives < labels.Count)
            x[dimension] = Math.Log(positives * positiveWeight / (labels.Count - positives));
        var g = new double[n];
        var f = Evaluate(rows, labels, dimension, lambda, positiveWeight, x, g);
        var s = new List<double[]>();
        var y = new List<double[]>();
        var rho = new List<double>();
        var direction = new double[n];
        var xNew = new double[n];
        var gNew = new double[n];
        var alpha = new double[Memory];
        var scale0 = Math.Max(1, Norm(g));
        for (var iteration = 0; iteration < maxIterations; iteration++)
        {
            if (Norm(g) <= tolerance * scale0)
                break;
            // Two-loop recursion: direction = −H·g.
            Array.Copy(g, direction, n);
            for (var k = s.Count - 1; k >= 0; k--)
            {
                alpha[k] = rho[k] * Dot(s[k], direction);
                Axpy(-alpha[k], y[k], direction);
            }
            var gamma = s.Count > 0 ? Dot(s[^1], y[^1]) / Dot(y[^1], y[^1]) : 1 / Math.Max(1, Norm(g));
            for (var i = 0; i < n; i++)
                direction[i] *= gamma;
            for (var k = 0; k < s.Count; k++)
            {
                var beta = rho[k] * Dot(y[k], direction);
                Axpy(alpha[k] - beta, s[k], direction);
            }
            for (var i = 0; i < n; i++)
                direction[i] = -direction[i];
            var slope = Dot(g, direction);
            if (slope >= 0)
            {
                // Not a descent direction: restart from steepest descent.
                s.Clear(); y.Clear(); rho.Clear();
                for (var i = 0; i < n; i++)
                    direction[i] = -g[i];
                slope = Dot(g, direction);
            }
            var step = 1.0;
            double fNew;
            var tries = 0;
            while (true)
            {
                for (var i = 0; i < n; i++)
                    xNew[i] = x[i] + step * direction[i];
                fNew = Evaluate(rows, labels, dimension, lambda, positiveWeight, xNew, gNew);
                if (fNew <= f + 1e-4 * step * slope || ++tries > 30)
                    break;
                step *= 0.5;
            }
            if (tries > 30)
                break;
            var sk = new double[n];
            var yk = new double[n];
            for (var i = 0; i < n; i++)
            {
                sk[i] = xNew[i] - x[i];
                yk[i] = gNew[i] - g[i];
            }
            var sy = Dot(sk, yk);
            if (sy > 1e-12)
            {
                if (s.Count == Memory)
                {
                    s.RemoveAt(0); y.RemoveAt(0); rho.RemoveAt(0);
                }
                s.Add(sk); y.Add(yk); rho.Add(1 / sy);
            }
            var improvement = f - fNew;
            Array.Copy(xNew, x, n);
            Array.Copy(gNew, g, n);
            f = fNew;
            if (improvement < 1e-10 * Math.Max(1, Math.Abs(f)))
                break;
        }
        return (x[dimension], x[..dimension]);
    }

    private static double Evaluate(IReadOnlyList<SparseVector> rows, IReadOnlyList<bool> labels, int dimension, double lambda, double positiveWeight, double[] x, double[] g)
    {
        Array.Clear(g);
        double f = 0;
        var bias = x[dimension];
        var w = x.AsSpan(0, dimension);
        for (var r = 0; r < rows.Count; r++)
        {
            var row = rows[r];
            var z = bias + row.Dot(w);
            var c = labels[r] ? positiveWeight : 1;
            // log(1 + e^−z) for y = 1, log(1 + e^z) for y = 0, computed stably.
            var m = labels[r] ? -z : z;
            f += c * (m > 0 ? m + double.LogP1(Math.Exp(-m)) : double.LogP1(Math.Exp(m)));
            var p = 1 / (1 + Math.Exp(-z));
            var d = c * (p - (labels[r] ? 1 : 0));
            for (var i = 0; i < row.Indices.Length; i++)
                g[row.Indices[i]] += d * row.Values[i];
            g[dimension] += d;
        }
        for (var i = 0; i < dimension; i++)
        {
            f += 0.5 * lambda * x[i] * x[i];
            g[i] += lambda * x[i];
        }
        return f;
    }

    private static double Dot(double[] a, double[] b)
    {
        double sum = 0;
        for (var i = 0; i < a.Length; i++)
            sum += a[i] * b[i];
        return sum;
    }

    private static void Axpy(double a, double[] x, double[] y)
    {
        for (var i = 0; i < x.Length; i++)
            y[i] += a * x[i];
    }

    private static double Norm(double[] v) => Math.Sqrt(Dot(v, v));
}
