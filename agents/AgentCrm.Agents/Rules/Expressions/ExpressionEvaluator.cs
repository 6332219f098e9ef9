using System.Globalization;

namespace AgentCrm.Agents.Rules.Expressions;

/// <summary>
/// Evaluates checked expressions over one snapshot. Values are numbers (double), texts, true/false and
/// null (unknown: an absent field, a division by zero). Unknown propagates through arithmetic; a
/// comparison with unknown is false (except <c>== null</c>). Every node costs a step and text work a
/// step per character; past the budget, or past the text limit, <see cref="RuleLimitExceededException"/> stops it.
/// </summary>
public sealed class ExpressionEvaluator(Func<string, object?> field, long maxSteps)
{
    private long _steps;

    public long Steps => _steps;

    public object? Evaluate(Expr expr)
    {
        Charge(1);
        return expr switch
        {
            Literal l => l.Value,
            FieldRef f => field(f.Name),
            Unary { Op: "not" } u => !Truthy(Evaluate(u.Operand)),
            Unary u => Evaluate(u.Operand) is double d ? -d : null,
            Binary { Op: "and" } b => Truthy(Evaluate(b.Left)) && Truthy(Evaluate(b.Right)),
            Binary { Op: "or" } b => Truthy(Evaluate(b.Left)) || Truthy(Evaluate(b.Right)),
            Binary b => BinaryOp(b.Op, Evaluate(b.Left), Evaluate(b.Right)),
            Call c => Functions.Run(this, c),
            _ => throw new InvalidOperationException($"Unknown node {expr.GetType().Name}."),
        };
    }

    public void Charge(long steps)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(steps);
        // Saturating: a huge charge cannot wrap the counter below the budget.
        _steps = steps > long.MaxValue - _steps ? long.MaxValue : _steps + steps;
        if (_steps > maxSteps)
            throw new RuleLimitExceededException($"stopped after {maxSteps} steps (rules.maxSteps).");
    }

    public void CheckText(long length) => CheckText(length, length);

    /// <summary>Refuses a text of <paramref name="length"/> past the limit, naming <paramref name="wouldBe"/>, the length it would have had when the caller capped the count it checks.</summary>
    public void CheckText(long length, double wouldBe)
    {
        if (length > ExpressionLimits.MaxTextLength)
        {
            var size = Math.Max(wouldBe, length);
            throw new RuleLimitExceededException(string.Create(CultureInfo.InvariantCulture, $"a text of {(size < 1e15 ? size.ToString("0", CultureInfo.InvariantCulture) : size.ToString("0.###E+0", CultureInfo.InvariantCulture))} characters exceeds the limit of {ExpressionLimits.MaxTextLength}."));
        }
    }

    /// <summary>null and false are false; a number is true unless 0; a text unless empty.</summary>
    public static bool Truthy(object? v) => v switch
    {
        bool b => b,
        double d => d != 0 && !double.IsNaN(d),
        string s => s.Length > 0,
        _ => false,
    };

    public static string Format(object? v) => v switch
    {
        null => "unknown",
        bool b => b ? "true" : "false",
        double d => Functions.Invariant(d),
        string s => s,
        _ => v.ToString() ?? "",
    };

    private object? BinaryOp(string op, object? l, object? r)
    {
        switch (op)
        {
            case "==": return Equal(l, r);
            case "!=": return !Equal(l, r);
            case "<" or "<=" or ">" or ">=":
                var c = l is double a && r is double b ? a.CompareTo(b)
                    : l is string s && r is string t ? string.CompareOrdinal(s, t)
                    : (int?)null;
                return c is { } v && op switch { "<" => v < 0, "<=" => v <= 0, ">" => v > 0, _ => v >= 0 };
            case "+" when l is string s1 && r is string s2:
                Charge(s1.Length + s2.Length);
                CheckText((long)s1.Length + s2.Length);
                return s1 + s2;
            default:
                if (l is not double x || r is not double y)
                    return null;
                var result = op switch
                {
                    "+" => x + y,
                    "-" => x - y,
                    "*" => x * y,
                    "/" => y == 0 ? double.NaN : x / y,
                    "%" => y == 0 ? double.NaN : x % y,
                    _ => double.NaN,
                };
                return double.IsFinite(result) ? result : null;
        }
    }

    private static bool Equal(object? l, object? r) => (l, r) switch
    {
        (null, null) => true,
        (double a, double b) => a == b,
        (string a, string b) => string.Equals(a, b, StringComparison.Ordinal),
        (bool a, bool b) => a == b,
        _ => false,
    };
}
