using System.Text;
using AgentCrm.Agents.Rules.Expressions;

namespace AgentCrm.Agents.Rules;

/// <summary>
/// A text with <c>{expression}</c> placeholders (<c>{{</c> and <c>}}</c> for literal braces), parsed and checked once.
/// A placeholder ends at the first <c>}</c> outside the expression's quoted texts: <c>{concat('}', profile.name)}</c>.
/// </summary>
internal sealed class RuleTemplate
{
    private readonly List<(string? Text, Expr? Expr)> _parts;
    private readonly List<int> _offsets;

    private RuleTemplate(List<(string?, Expr?)> parts, List<int> offsets)
    {
        _parts = parts;
        _offsets = offsets;
    }

    public static readonly RuleTemplate Empty = new([], []);

    public bool IsEmpty => _parts.Count == 0;

    /// <summary>The placeholders' expressions, each with the offset in the template where its expression starts.</summary>
    public IEnumerable<(Expr Expr, int Offset)> Placeholders => _parts.Where(p => p.Expr is not null).Select((p, i) => (p.Expr!, _offsets[i]));

    public static RuleTemplate Parse(string text, FieldScope scope, List<string> fields)
    {
        var parts = new List<(string?, Expr?)>();
        var offsets = new List<int>();
        var literal = new StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if ((c == '{' || c == '}') && i + 1 < text.Length && text[i + 1] == c)
            {
                literal.Append(c);
                i++;
                continue;
            }
            if (c == '}')
                throw new ExpressionException("'}' without '{'; write '}}' for a literal brace.", i);
            if (c != '{')
            {
                literal.Append(c);
                continue;
            }
            var end = PlaceholderEnd(text, i + 1);
            if (end < 0)
                throw new ExpressionException("'{' without a closing '}'.", i);
            if (literal.Length > 0)
                parts.Add((literal.ToString(), null));
            literal.Clear();
            Expr expr;
            try
            {
                expr = ExpressionParser.Parse(text[(i + 1)..end]);
                ExpressionChecker.Check(expr, scope, fields);
            }
            catch (ExpressionException ex)
            {
                throw new ExpressionException(ex.Message, i + 1 + ex.Position);
            }
            parts.Add((null, expr));
            offsets.Add(i + 1);
            i = end;
        }
        if (literal.Length > 0)
            parts.Add((literal.ToString(), null));
        return new RuleTemplate(parts, offsets);
    }

    /// <summary>The index of the <c>}</c> closing a placeholder that starts at <paramref name="start"/>, skipping quoted texts (as the parser reads them, with \ escapes); -1 when none.</summary>
    private static int PlaceholderEnd(string text, int start)
    {
        char? quote = null;
        for (var i = start; i < text.Length; i++)
        {
            var c = text[i];
            if (quote is { } q)
            {
                if (c == '\\')
                    i++;
                else if (c == q)
                    quote = null;
            }
            else if (c is '\'' or '"')
                quote = c;
            else if (c == '}')
                return i;
        }
        return -1;
    }

    public string Render(ExpressionEvaluator evaluator)
    {
        var sb = new StringBuilder();
        foreach (var (text, expr) in _parts)
        {
            sb.Append(text ?? ExpressionEvaluator.Format(evaluator.Evaluate(expr!)));
            evaluator.CheckText(sb.Length);
        }
        return sb.ToString();
    }
}
