using System.Globalization;
using System.Text;

namespace AgentCrm.Agents.Rules.Expressions;

/// <summary>
/// Parses the rules expression language (recursive descent, bounded in length, node count and depth):
/// <code>
/// or      := and ('or' and)*
/// and     := not ('and' not)*
/// not     := 'not' not | compare
/// compare := sum (('=='|'!='|'&lt;'|'&lt;='|'&gt;'|'&gt;=') sum)?
/// sum     := product (('+'|'-') product)*
/// product := unary (('*'|'/'|'%') unary)*
/// unary   := '-' unary | primary
/// primary := number | 'text' | "text" | true | false | null | field.name | function(args) | '(' or ')'
/// </code>
/// </summary>
public sealed class ExpressionParser
{
    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal) { "and", "or", "not", "true", "false", "null" };
    private readonly string _source;
    private int _pos;
    private int _nodes;
    private int _depth;

    private ExpressionParser(string source) => _source = source;

    /// <summary>Parses <paramref name="source"/>; throws <see cref="ExpressionException"/> naming the position.</summary>
    public static Expr Parse(string source)
    {
        if (string.IsNullOrWhiteSpace(source))
            throw new ExpressionException("the expression is empty.", 0);
        if (ExpressionLimits.Characters(source) is var length && length > ExpressionLimits.MaxSourceLength)
            throw new ExpressionException($"the expression is {length} characters; at most {ExpressionLimits.MaxSourceLength} are allowed.", ExpressionLimits.MaxSourceLength);
        var parser = new ExpressionParser(source);
        var expr = parser.Or();
        parser.SkipSpace();
        if (parser._pos < source.Length)
            throw new ExpressionException($"unexpected '{parser.Describe()}'; expected an operator or the end.", parser._pos);
        return expr;
    }

    private Expr Or()
    {
        Enter();
        var left = And();
        while (TryKeyword("or") is { } at)
            left = Node(new Binary("or", left, And(), at));
        Leave();
        return left;
    }

    private Expr And()
    {
        var left = Not();
        while (TryKeyword("and") is { } at)
            left = Node(new Binary("and", left, Not(), at));
        return left;
    }

    private Expr Not()
    {
        if (TryKeyword("not") is { } at)
        {
            Enter();
            var operand = Not();
            Leave();
            return Node(new Unary("not", operand, at));
        }
        return Compare();
    }

    private Expr Compare()
    {
        var left = Sum();
        SkipSpace();
        foreach (var op in new[] { "==", "!=", "<=", ">=", "<", ">" })
            if (Peek(op))
            {
                var at = _pos;
                _pos += op.Length;
                var right = Sum();
                SkipSpace();
                if (Peek("==") || Peek("!=") || Peek("<") || Peek(">"))
                    throw new ExpressionException("comparisons cannot be chained; combine them with 'and'.", _pos);
                return Node(new Binary(op, left, right, at));
            }
        if (Peek("="))
            throw new ExpressionException("'=' is not an operator; compare with '=='.", _pos);
        return left;
    }

    private Expr Sum()
    {
        var left = Product();
        while (true)
        {
            SkipSpace();
            if (_pos < _source.Length && _source[_pos] is '+' or '-')
            {
                var op = _source[_pos].ToString();
                var at = _pos++;
                left = Node(new Binary(op, left, Product(), at));
            }
            else
                return left;
        }
    }

    private Expr Product()
    {
        var left = UnaryMinus();
        while (true)
        {
            SkipSpace();
            if (_pos < _source.Length && _source[_pos] is '*' or '/' or '%')
            {
                var op = _source[_pos].ToString();
                var at = _pos++;
                left = Node(new Binary(op, left, UnaryMinus(), at));
            }
            else
                return left;
        }
    }

    private Expr UnaryMinus()
    {
        SkipSpace();
        if (_pos < _source.Length && _source[_pos] == '-')
        {
            var at = _pos++;
            Enter();
            var operand = UnaryMinus();
            Leave();
            return Node(new Unary("-", operand, at));
        }
        return Primary();
    }

    private Expr Primary()
    {
        SkipSpace();
        if (_pos >= _source.Length)
            throw new ExpressionException("the expression ends too early; expected a value.", _pos);
        var c = _source[_pos];
        var at = _pos;
        if (c == '(')
        {
            _pos++;
            var inner = Or();
            Expect(')');
            return inner;
        }
        if (char.IsAsciiDigit(c) || (c == '.' && _pos + 1 < _source.Length && char.IsAsciiDigit(_source[_pos + 1])))
            return Node(new Literal(Number(), at));
        if (c is '\'' or '"')
            return Node(new Literal(Text(c), at));
        if (char.IsAsciiLetter(c) || c == '_')
            return Name();
        throw new ExpressionException($"unexpected '{Describe()}'; expected a number, a text in quotes, a field or a function.", _pos);
    }

    private Expr Name()
    {
        var at = _pos;
        while (_pos < _source.Length && (char.IsAsciiLetterOrDigit(_source[_pos]) || _source[_pos] is '_' or '.'))
            _pos++;
        var name = _source[at.._pos];
        if (name.EndsWith('.') || name.Contains("..", StringComparison.Ordinal))
            throw new ExpressionException($"'{name}' is not a field name (prefix.name).", at);
        SkipSpace();
        if (!name.Contains('.') && _pos < _source.Length && _source[_pos] == '(')
            return Node(CallOf(name, at));
        switch (name)
        {
            case "true": return Node(new Literal(true, at));
            case "false": return Node(new Literal(false, at));
            case "null": return Node(new Literal(null, at));
            default: break;
        }
        if (Keywords.Contains(name))
            throw new ExpressionException($"'{name}' needs a value before it.", at);
        if (!name.Contains('.'))
            throw new ExpressionException(Functions.Exists(name)
                ? $"'{name}' is a function; call it with parentheses."
                : $"unknown name '{name}'; a field is prefix.name (e.g. contract.daysToEnd), a function is one of {string.Join(", ", Functions.Names)}.", at);
        return Node(new FieldRef(name, at));
    }

    private Call CallOf(string name, int at)
    {
        if (!Functions.Exists(name))
            throw new ExpressionException($"unknown function '{name}'; available: {string.Join(", ", Functions.Names)}.", at);
        _pos++; // (
        Enter();
        var args = new List<Expr>();
        SkipSpace();
        if (!Peek(")"))
        {
            do
                args.Add(Or());
            while (TryChar(','));
        }
        Expect(')');
        Leave();
        Functions.CheckArity(name, args.Count, at);
        return new Call(name, args, at);
    }

    private double Number()
    {
        var start = _pos;
        while (_pos < _source.Length && (char.IsAsciiDigit(_source[_pos]) || _source[_pos] == '.'))
            _pos++;
        var text = _source[start.._pos];
        if (!double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) || double.IsInfinity(value))
            throw new ExpressionException($"'{text}' is not a number.", start);
        if (_pos < _source.Length && (char.IsAsciiLetter(_source[_pos]) || _source[_pos] == '_'))
            throw new ExpressionException($"a number cannot run into a name ('{text}{_source[_pos]}').", start);
        return value;
    }

    private string Text(char quote)
    {
        var start = _pos++;
        var sb = new StringBuilder();
        while (_pos < _source.Length && _source[_pos] != quote)
        {
            var c = _source[_pos++];
            if (c == '\\' && _pos < _source.Length)
            {
                var e = _source[_pos++];
                sb.Append(e switch { 'n' => '\n', 't' => '\t', _ => e });
            }
            else
                sb.Append(c);
        }
        if (_pos >= _source.Length)
            throw new ExpressionException($"the text starting here has no closing {quote}.", start);
        _pos++;
        return sb.ToString();
    }

    private T Node<T>(T node)
        where T : Expr
    {
        if (++_nodes > ExpressionLimits.MaxNodes)
            throw new ExpressionException($"the expression has more than {ExpressionLimits.MaxNodes} parts; split it into several conditions.", node.Position);
        return node;
    }

    private void Enter()
    {
        if (++_depth > ExpressionLimits.MaxDepth)
            throw new ExpressionException($"the expression nests deeper than {ExpressionLimits.MaxDepth} levels.", _pos);
    }

    private void Leave() => _depth--;

    private int? TryKeyword(string keyword)
    {
        SkipSpace();
        if (string.CompareOrdinal(_source, _pos, keyword, 0, keyword.Length) != 0)
            return null;
        var end = _pos + keyword.Length;
        if (end < _source.Length && (char.IsAsciiLetterOrDigit(_source[end]) || _source[end] is '_' or '.'))
            return null;
        var at = _pos;
        _pos = end;
        return at;
    }

    private bool TryChar(char c)
    {
        SkipSpace();
        if (_pos < _source.Length && _source[_pos] == c)
        {
            _pos++;
            return true;
        }
        return false;
    }

    private void Expect(char c)
    {
        if (!TryChar(c))
            throw new ExpressionException(_pos >= _source.Length ? $"expected '{c}' before the end." : $"expected '{c}' but found '{Describe()}'.", _pos);
    }

    private bool Peek(string s) => string.CompareOrdinal(_source, _pos, s, 0, s.Length) == 0;

    private void SkipSpace()
    {
        while (_pos < _source.Length && char.IsWhiteSpace(_source[_pos]))
            _pos++;
    }

    private string Describe() => _source.Substring(_pos, Math.Min(12, _source.Length - _pos));
}
