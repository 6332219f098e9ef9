namespace AgentCrm.Agents.Rules.Expressions;

/// <summary>
/// Checks a parsed expression before it may run: every field is a known snapshot field the manifest
/// reads, and every operator and function gets the kinds of values it needs wherever they are known
/// (literals, function results). Throws <see cref="ExpressionException"/> at the offending position.
/// </summary>
public static class ExpressionChecker
{
    /// <summary>The expression's type; <paramref name="fieldAllowed"/> returns null for a usable field or the reason it is not.</summary>
    public static ValueType Check(Expr expr, Func<string, string?> fieldAllowed, List<string>? fields = null)
    {
        switch (expr)
        {
            case Literal { Value: double }: return ValueType.Number;
            case Literal { Value: string }: return ValueType.Text;
            case Literal { Value: bool }: return ValueType.Bool;
            case Literal: return ValueType.Any;
            case FieldRef f:
                if (fieldAllowed(f.Name) is { } problem)
                    throw new ExpressionException(problem, f.Position);
                if (fields is not null && !fields.Contains(f.Name))
                    fields.Add(f.Name);
                return ValueType.Any;
            case Unary u:
                var operand = Check(u.Operand, fieldAllowed, fields);
                if (u.Op == "-")
                {
                    Need(operand, ValueType.Number, "'-'", u.Position);
                    return ValueType.Number;
                }
                if (operand is ValueType.Number or ValueType.Text)
                    throw new ExpressionException($"'not' needs true/false, not {Functions.Name(operand)}.", u.Position);
                return ValueType.Bool;
            case Binary b:
                return CheckBinary(b, Check(b.Left, fieldAllowed, fields), Check(b.Right, fieldAllowed, fields));
            case Call c:
                return Functions.Check(c, c.Arguments.Select(a => Check(a, fieldAllowed, fields)).ToList());
            default:
                throw new ExpressionException($"unknown node {expr.GetType().Name}.", expr.Position);
        }
    }

    private static ValueType CheckBinary(Binary b, ValueType l, ValueType r)
    {
        switch (b.Op)
        {
            case "and" or "or":
                foreach (var side in new[] { l, r })
                    if (side is ValueType.Number or ValueType.Text)
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

    private static void Need(ValueType actual, ValueType wanted, string what, int position)
    {
        if (actual != ValueType.Any && actual != wanted)
            throw new ExpressionException($"{what} needs {Functions.Name(wanted)}, not {Functions.Name(actual)}.", position);
    }
}
