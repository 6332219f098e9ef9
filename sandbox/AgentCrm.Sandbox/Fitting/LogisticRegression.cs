namespace AgentCrm.Sandbox.Fitting;

/// <summary>
/// L2-regularised logistic regression by Newton's method with a backtracking line search:
/// minimises Σ log-loss + λ/2·‖w‖² with the intercept unpenalised. Deterministic (fixed summation
/// order, no randomness). The Hessian is accumulated over each row's non-zero inputs only, so a
/// few hundred mostly one-hot inputs fit in milliseconds; it is solved by Cholesky.
/// </summary>
internal static class LogisticRegression
{
    private const int MaxIterations = 100;
    private const double Tolerance = 1e-9;

    public static (double Intercept, double[] Weights) Fit(Design x, IReadOnlyList<bool> y, double lambda, (double Intercept, double[] Weights)? start = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(lambda);
        var p = x.Width;
        var n = p + 1; // index 0 is the intercept
        var beta = new double[n];
        if (start is { } s)
        {
            beta[0] = s.Intercept;
            s.Weights.CopyTo(beta, 1);
        }
        else
        {
            var rate = Math.Clamp(y.Count(v => v) / (double)y.Count, 1e-6, 1 - 1e-6);
            beta[0] = Math.Log(rate / (1 - rate));
        }

        var objective = Objective(x, y, lambda, beta);
        var h = new double[n * n];
        var g = new double[n];
        for (var iteration = 0; iteration < MaxIterations; iteration++)
        {
            Array.Clear(h);
            Array.Clear(g);
            for (var r = 0; r < x.Rows; r++)
            {
                var mu = Sigmoid(Eta(x, r, beta));
                var residual = mu - (y[r] ? 1 : 0);
                var w = Math.Max(mu * (1 - mu), 1e-12);
                var idx = x.Indices[r];
                var val = x.Values[r];
                g[0] += residual;
                h[0] += w;
                for (var a = 0; a < idx.Length; a++)
                {
                    var ja = idx[a] + 1;
                    var wa = w * val[a];
                    g[ja] += residual * val[a];
                    h[ja] += wa; // row 0 (intercept) × column ja, mirrored below
                    var row = ja * n;
                    for (var b = 0; b <= a; b++)
                        h[row + idx[b] + 1] += wa * val[b];
                }
            }
            for (var j = 1; j < n; j++)
            {
                g[j] += lambda * beta[j];
                h[j * n + j] += lambda;
            }
            // Fill the symmetric halves: row 0 was accumulated in h[ja] (= h[0, ja]); rows store lower triangles.
            for (var j = 1; j < n; j++)
                h[j * n] = h[j];
            for (var i = 1; i < n; i++)
                for (var j = i + 1; j < n; j++)
                    h[i * n + j] = h[j * n + i];

            var step = Solve(h, g, n);
            var t = 1.0;
            double next;
            var candidate = new double[n];
            while (true)
            {
                for (var j = 0; j < n; j++)
                    candidate[j] = beta[j] - t * step[j];
                next = Objective(x, y, lambda, candidate);
                if (next <= objective + 1e-12 || t < 1e-6)
                    break;
                t /= 2;
            }
            var change = objective - next;
            beta = candidate;
            objective = next;
            if (change < Tolerance * (1 + Math.Abs(objective)) && MaxAbs(step) * t < 1e-6)
                break;
        }
        return (beta[0], beta[1..]);
    }

    private static double Eta(Design x, int r, double[] beta)
    {
        var z = beta[0];
        var idx = x.Indices[r];
        var val = x.Values[r];
        for (var k = 0; k < idx.Length; k++)
            z += beta[idx[k] + 1] * val[k];
        return z;
    }

    private static double Objective(Design x, IReadOnlyList<bool> y, double lambda, double[] beta)
    {
        double loss = 0;
        for (var r = 0; r < x.Rows; r++)
        {
            var z = Eta(x, r, beta);
            // log(1 + e^z) − y·z, stable for large |z|.
            loss += (z > 0 ? z + Math.Log(1 + Math.Exp(-z)) : Math.Log(1 + Math.Exp(z))) - (y[r] ? z : 0);
        }
        double penalty = 0;
        for (var j = 1; j < beta.Length; j++)
            penalty += beta[j] * beta[j];
        return loss + lambda / 2 * penalty;
    }

    /// <summary>Solves H·s = g for a symmetric positive definite H (row-major n×n) by Cholesky.</summary>
    private static double[] Solve(double[] h, double[] g, int n)
    {
        var l = new double[n * n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j <= i; j++)
            {
                var sum = h[i * n + j];
                for (var k = 0; k < j; k++)
                    sum -= l[i * n + k] * l[j * n + k];
                if (i == j)
                    l[i * n + i] = Math.Sqrt(Math.Max(sum, 1e-12));
                else
                    l[i * n + j] = sum / l[j * n + j];
            }
        }
        var z = new double[n];
        for (var i = 0; i < n; i++)
        {
            var sum = g[i];
            for (var k = 0; k < i; k++)
                sum -= l[i * n + k] * z[k];
            z[i] = sum / l[i * n + i];
        }
        var s = new double[n];
        for (var i = n - 1; i >= 0; i--)
        {
            var sum = z[i];
            for (var k = i + 1; k < n; k++)
                sum -= l[k * n + i] * s[k];
            s[i] = sum / l[i * n + i];
        }
        return s;
    }

    private static double MaxAbs(double[] v) => v.Max(Math.Abs);

    public static double Sigmoid(double z) => 1 / (1 + Math.Exp(-z));
}
