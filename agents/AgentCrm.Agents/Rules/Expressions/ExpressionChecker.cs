namespace AgentCrm.Agents.Rules.Expressions;

/// <summary>
/// Checks a parsed expression before it may run: every field is a known snapshot field the manifest
/// reads, and every operator and function gets the kinds of values it needs wherever they are known
/// (literals, fields of a known kind, function results). Throws <see cref="ExpressionException"/> at the offending position.
/// A bare field stays usable as a true/false test whatever its kind (a presence test: there and not 0, false or empty).
/// </summary>
public static class ExpressionChecker
{
    /// <summary>The expression's type, checked against the fields <paramref name="scope"/> allows and their kinds.</summary>
    public static ValueType Check(Expr expr, FieldScope scope, List<string>? fields = null)
    {
        switch (expr)
        {
            case Literal { Value: double }: return ValueType.Number;
            case Literal { Value: string }: return ValueType.Text;
            case Literal { Value: bool }: return ValueType.Bool;
            case Literal: return ValueType.Any;
            case FieldRef f:
                if (scope.Problem(f.Name) is { } problem)
                    throw new ExpressionException(problem, f.Position);
                if (fields is not null && !fields.Contains(f.Name))
                    fields.Add(f.Name);
                return scope.KindOf(f.Name);
            case Unary u:
                var operand = Check(u.Operand, scope, fields);
                if (u.Op == "-")
                {
                    Need(operand, ValueType.Number, "'-'", u.Position);
                    return ValueType.Number;
                }
                if (operand is ValueType.Number or ValueType.Text && u.Operand is not FieldRef)
                    throw new ExpressionException($"'not' needs true/false, not {Functions.Name(operand)}.", u.Position);
                return ValueType.Bool;
            case Binary b:
                return CheckBinary(b, Check(b.Left, scope, fields), Check(b.Right, scope, fields));
            case Call c:
                return Functions.Check(c, c.Arguments.Select(a => Check(a, scope, fields)).ToList());
            default:
                throw new ExpressionException($"unknown node {expr.GetType().Name}.", expr.Position);
        }
    }

    private static ValueType CheckBinary(Binary b, ValueType l, ValueType r)
    {
        switch (b.Op)
        {
            case "and" or "or":
                foreach (var (side, operand) in new[] { (l, b.Left), (r, b.Right) })
                    if (side is ValueType.Number or ValueType.Text && !IsPresenceTest(operand))
                        throw new ExpressionException($"'{b.Op}' joins true/false tests, not {Functions.Name(side)}; compare it first (e.g. x > 0).", b.Position);
                return ValueType.Bool;
            case "==" or "!=":
                if (l != ValueType.Any && r != ValueType.Any && l != r)
                    throw new ExpressionException($"'{b.Op}' compares {Functions.Name(l)} with {Functions.Name(r)}; the answer would never change.", b.Position);
                return ValueType.Bool;
            case "<" or "<=" or ">" or ">=":
                if (l == ValueType.Bool || r == ValueType.Bool)
                    throw new ExpressionException($"'{b.Op}' orders numbers or texts, not true/false.", b.Position);
                if (l != ValueType.Any && r != ValueType.Any && l != r)
                    throw new ExpressionException($"'{b.Op}' compares {Functions.Name(l)} with {Functions.Name(r)}; it would always be false.", b.Position);
                return ValueType.Bool;
            case "+" when l == ValueType.Text || r == ValueType.Text:
                if ((l == ValueType.Text ? r : l) is ValueType.Number or ValueType.Bool)
                    throw new ExpressionException("'+' joins two texts or adds two numbers; use concat(...) to mix them.", b.Position);
                return ValueType.Text;
            case "+" when l == ValueType.Any && r == ValueType.Any:
                return ValueType.Any;
            default:
                Need(l, ValueType.Number, $"'{b.Op}'", b.Position);
                Need(r, ValueType.Number, $"'{b.Op}'", b.Position);
                return ValueType.Number;
        }
    }

    /// <summary>Whether a value of a known kind may stand where true/false is wanted: a bare field, tested for presence.</summary>
    public static bool IsPresenceTest(Expr expr) => expr is FieldRef;

    private static void Need(ValueType actual, ValueType wanted, string what, int position)
    {
        if (actual != ValueType.Any && actual != wanted)
            throw new ExpressionException($"{what} needs {Functions.Name(wanted)}, not {Functions.Name(actual)}.", position);
    }
}
