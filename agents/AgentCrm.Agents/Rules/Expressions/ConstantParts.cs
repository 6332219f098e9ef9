namespace AgentCrm.Agents.Rules.Expressions;

/// <summary>
/// What registration can learn by running an expression's parts that use no field (they give the same on every customer):
/// whether one of them always stops at the step budget or the text limit (<c>len(repeat('x', 100000)) > 1</c>), and the
/// fewest steps the expression takes however its fields turn out (to refuse a <c>rules.maxSteps</c> no assessment fits in).
/// </summary>
public static class ConstantParts
{
    /// <summary>The first part of <paramref name="expr"/> that uses no field and stops within <paramref name="maxSteps"/>: its position and why; null when none does.</summary>
    public static (int Position, string Reason)? Fault(Expr expr, long maxSteps)
    {
        foreach (var part in Outermost(expr))
        {
            try
            {
                new ExpressionEvaluator(_ => null, maxSteps).Evaluate(part);
            }
            catch (RuleLimitExceededException ex)
            {
                return (Start(part), ex.Message);
            }
        }
        return null;
    }

    /// <summary>
    /// The fewest steps evaluating <paramref name="expr"/> can take: one per node reached, where <c>and</c>/<c>or</c> may stop after
    /// their left side, <c>if</c> runs one branch, and every other function but min and max may stop after its first argument (a null).
    /// A part that uses no field is the same on every assessment, so it counts what it takes, text work included (qa38a #4:
    /// <c>len(repeat('abcd', 1000))</c> counted 3 steps and takes over 4,000). One that stops counts nothing here: <see cref="Fault"/>
    /// names it at its own place, and no budget would let it finish (a text past its limit, say).
    /// </summary>
    public static long MinSteps(Expr expr, long maxSteps) => !UsesField(expr) ? StepsOf(expr, maxSteps) : expr switch
    {
        Unary u => 1 + MinSteps(u.Operand, maxSteps),
        Binary { Op: "and" or "or" } b => 1 + MinSteps(b.Left, maxSteps),
        Binary b => 1 + MinSteps(b.Left, maxSteps) + MinSteps(b.Right, maxSteps),
        Call { Function: "if" } c => 1 + MinSteps(c.Arguments[0], maxSteps) + Math.Min(MinSteps(c.Arguments[1], maxSteps), MinSteps(c.Arguments[2], maxSteps)),
        Call { Function: "min" or "max" } c => 1 + c.Arguments.Sum(a => MinSteps(a, maxSteps)),
        Call c => 1 + MinSteps(c.Arguments[0], maxSteps),
        _ => 1,
    };

    private static long StepsOf(Expr part, long maxSteps)
    {
        var evaluator = new ExpressionEvaluator(_ => null, maxSteps);
        try
        {
            evaluator.Evaluate(part);
            return evaluator.Steps;
        }
        catch (RuleLimitExceededException)
        {
            return 0;
        }
    }

    private static IEnumerable<Expr> Outermost(Expr expr)
    {
        if (!UsesField(expr))
        {
            yield return expr;
            yield break;
        }
        IEnumerable<Expr> children = expr switch
        {
            Unary u => [u.Operand],
            Binary b => [b.Left, b.Right],
            Call c => c.Arguments,
            _ => [],
        };
        foreach (var child in children)
            foreach (var part in Outermost(child))
                yield return part;
    }

    /// <summary>Where a part starts in the source: its leftmost node (a binary operator's position is the operator's).</summary>
    private static int Start(Expr expr) => expr switch
    {
        Unary u => Math.Min(u.Position, Start(u.Operand)),
        Binary b => Math.Min(Start(b.Left), b.Position),
        Call c => c.Position,
        _ => expr.Position,
    };

    private static bool UsesField(Expr expr) => expr switch
    {
        FieldRef => true,
        Unary u => UsesField(u.Operand),
        Binary b => UsesField(b.Left) || UsesField(b.Right),
        Call c => c.Arguments.Any(UsesField),
        _ => false,
    };
}
