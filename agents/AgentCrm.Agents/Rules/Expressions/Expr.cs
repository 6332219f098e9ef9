namespace AgentCrm.Agents.Rules.Expressions;

/// <summary>A node of a parsed rule expression; <see cref="Position"/> is its character offset in the source.</summary>
public abstract record Expr(int Position);

/// <summary>A number, text, true/false or null literal.</summary>
public sealed record Literal(object? Value, int Position) : Expr(Position);

/// <summary>A snapshot field such as <c>contract.daysToEnd</c>.</summary>
public sealed record FieldRef(string Name, int Position) : Expr(Position);

/// <summary><c>-x</c> or <c>not x</c>.</summary>
public sealed record Unary(string Op, Expr Operand, int Position) : Expr(Position);

/// <summary>Arithmetic, comparison, <c>and</c>, <c>or</c>.</summary>
public sealed record Binary(string Op, Expr Left, Expr Right, int Position) : Expr(Position);

/// <summary>A call of one of the built-in pure functions.</summary>
public sealed record Call(string Function, IReadOnlyList<Expr> Arguments, int Position) : Expr(Position);

/// <summary>
/// The fields an expression may use: <see cref="Problem"/> is null for a usable field or says why it is not;
/// <see cref="KindOf"/> is the kind of value a field holds (<see cref="ValueType.Any"/> when not fixed).
/// </summary>
public sealed record FieldScope(Func<string, string?> Problem, Func<string, ValueType> KindOf);

/// <summary>The limits that keep parsing and evaluation bounded in time and memory.</summary>
public static class ExpressionLimits
{
    public const int MaxSourceLength = 2_000;
    public const int MaxNodes = 256;
    public const int MaxDepth = 24;
    public const int MaxTextLength = 4_096;
    public const int DefaultSteps = 10_000;
    public const int MaxSteps = 1_000_000;

    /// <summary>
    /// The characters of a manifest text as registration counts them against its limits: Unicode code points, as JSON
    /// Schema's maxLength counts them (an emoji is one, not two UTF-16 units), so the schema and the server agree.
    /// </summary>
    public static int Characters(string text)
    {
        var count = text.Length;
        for (var i = 0; i + 1 < text.Length; i++)
            if (char.IsSurrogatePair(text[i], text[i + 1]))
            {
                count--;
                i++;
            }
        return count;
    }
}

/// <summary>An expression that cannot be parsed or checked; <see cref="Position"/> is the character offset.</summary>
public sealed class ExpressionException(string message, int position) : Exception(message)
{
    public int Position { get; } = position;

    /// <summary>The message with its 1-based character position, as registration reports it.</summary>
    public string Describe() => $"at character {Position + 1}: {Message}";
}

/// <summary>An evaluation stopped because it exceeded its step budget or produced a value too large.</summary>
public sealed class RuleLimitExceededException(string message) : Exception(message);
