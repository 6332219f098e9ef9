using AgentCrm.Sandbox.Cases;
using YamlDotNet.Core;

namespace AgentCrm.Sandbox.Tests.Cases;

/// <summary>
/// Texts YamlDotNet 16.3 fails on with an exception other than <see cref="YamlException"/> (InvalidOperationException,
/// ArgumentException): <see cref="SafeYaml.Load"/> throws them as syntax errors at their line, so a manifest or mapping that
/// holds one is bad input (400, a one-line CLI error), not a server error.
/// </summary>
public sealed class SafeYamlParserFaultTests
{
    /// <summary>A tab before the next line of a flow list or mapping inside a block: YamlDotNet's scanner threw InvalidOperationException.</summary>
    [Theory]
    [InlineData("id: a\nversion: 1.0.0\nsubscribes:\n  - { x: 1,\n\ty: 2 }\n", 5, 1)]
    [InlineData("id: a\nsubscribes:\n  - [email,\n\tnps]\n", 4, 1)]
    [InlineData("a:\n  - [a,\n \tb]\n", 3, 2)]
    [InlineData("a:\n  - [a,\r\n\t\tb]\r\n", 3, 1)]
    [InlineData("a:\n  b: [1,\n\t2]\n", 3, 1)]
    public void Load_ATabIndentingAFlowCollectionsNextLine_IsASyntaxErrorAtTheTab(string text, int line, int column)
    {
        var ex = Assert.Throws<YamlException>(() => SafeYaml.Load(text));

        Assert.Equal((line, column), (ex.Start.Line, ex.Start.Column));
        Assert.Equal("a tab indents this line; YAML indents with spaces only.", ex.Message);
        // Both readers name the tab through IndentingTab, as for the tabs YamlDotNet reports itself.
        Assert.Equal((line, column), SafeYaml.IndentingTab(ex, text));
    }

    [Theory]
    [InlineData("a: \"\\UFFFFFFFF\"\n", 1, "an escape (\\u, \\U) names no Unicode character; write one from 0 to 10FFFF, not a surrogate (D800 to DFFF).")]
    [InlineData("a: 1\nb: !<> 1\n", 2, "an empty tag (!<>) or %TAG directive; remove it (tags are not read).")]
    [InlineData("%TAG ! \n---\na: 1\n", 1, "an empty tag (!<>) or %TAG directive; remove it (tags are not read).")]
    [InlineData("...\n!!str]-", 3, "the YAML cannot be read; check the brackets, quotes and indentation up to here.")]
    [InlineData(" :  \\'\"@>}`", 2, "the YAML cannot be read; check the brackets, quotes and indentation up to here.")]
    public void Load_ATextYamlDotNetFailsOnWithAnotherException_IsASyntaxErrorAtItsLine(string text, int line, string message)
    {
        var ex = Assert.Throws<YamlException>(() => SafeYaml.Load(text));

        Assert.Equal(line, ex.Start.Line);
        Assert.Equal(message, ex.Message);
        Assert.Null(SafeYaml.IndentingTab(ex, text));
    }

    /// <summary>
    /// Every prefix of a few awkward documents (flow collections cut short, unterminated quotes, anchors and aliases, directives,
    /// byte order marks, NUL, deep nesting), then 30,000 short texts drawn from YAML's indicators (seeded): each loads or is a
    /// <see cref="YamlException"/>. Before, this found InvalidOperationException, ArgumentException, ArgumentNullException and
    /// ArgumentOutOfRangeException.
    /// </summary>
    [Fact]
    public void Load_TruncatedAndRandomTexts_LoadOrThrowOnlyYamlException()
    {
        string[] seeds =
        [
            "id: a\nversion: 1.0.0\nsubscribes:\n  - { x: 1,\n\ty: 2 }\n", "a: [b, {c: [d, {e: f,\n\tg: h}]}]\n", "a: 'x\n\ty'\n", "a: \"x\\\"\n",
            "a: &x 1\nb: *x\n", "%YAML 1.2\n---\na: 1\n", "%YAML 2.0\n%YAML 1.1\n---\n", "%TAG !a! tag:x,2000:\n---\na: !a!b 1\n", "\uFEFFa: 1\n",
            "a: \"\\0\0\"\n", "a: \"\\UFFFFFFFF\\uD800\\xZZ\"\n", "? [a]\n: 1\n", "a: |\n\tb\n", "key: " + new string('[', 40) + new string(']', 40),
            "- " + string.Concat(Enumerable.Repeat("- ", 40)) + "x\n", "a: 1\n---\nb: 2\n...\n!!str]-\n", "a: !<> 1\n",
        ];
        var texts = seeds.SelectMany(s => Enumerable.Range(1, s.Length).Select(n => s[..n])).ToList();
        string[] pieces = ["\t", " ", "\n", "[", "]", "{", "}", ",", ":", "-", "?", "'", "\"", "&a", "*a", "!", "!!str", "%YAML 1.2\n", "%TAG ! ", "---", "...",
            "#", "|", ">", "\\", "a", "1", "\0", "\uFEFF", "\r", "\u0085", "@", "`", "%", "!<>"];
        var random = new Random(37);
        for (var n = 0; n < 30_000; n++)
            texts.Add(string.Concat(Enumerable.Range(0, random.Next(1, 14)).Select(_ => pieces[random.Next(pieces.Length)])));

        var escaped = new List<string>();
        foreach (var text in texts)
        {
            try
            {
                SafeYaml.Load(text);
            }
            catch (YamlException)
            {
            }
            catch (Exception ex)
            {
                escaped.Add($"{ex.GetType().Name} on {System.Text.Json.JsonSerializer.Serialize(text)}");
            }
        }

        Assert.True(escaped.Count == 0, $"{escaped.Count} texts escaped, e.g. {string.Join("; ", escaped.Take(5))}");
    }
}
