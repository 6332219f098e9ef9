using System.Text;
using System.Text.RegularExpressions;
using AgentCrm.Agents.Html;
using AgentCrm.Knowledge.Ingest;

namespace AgentCrm.Knowledge.Tests.Ingest;

/// <summary>
/// HTML with openers that never close: the backtracking regexes searched to the end of the text from each one (20,000
/// <c>&lt;h2&gt;</c>, 80 KB: 50 s; at the 5 MiB limit, hours). The sectioner must read such text once, and otherwise
/// section exactly as the regexes did.
/// </summary>
public sealed partial class HtmlScanTests
{
    public static TheoryData<string> Openers => ["<!--", "<h2>", "<h3 class=x>", "<script>", "<style ", "<p ", "<", "<h1><!--<script><style x=<p <h6 "];

    [Theory]
    [MemberData(nameof(Openers))]
    public void From_OpenersThatNeverClose_SearchesOnce(string opener)
    {
        var html = string.Concat(Enumerable.Repeat(opener, 20_000));
        var closer = new ForwardSearch(html, Closer());
        var tagEnd = new ForwardSearch(html, TagEnd());

        for (var position = 0; position < html.Length; position += opener.Length)
        {
            Assert.Null(closer.From(position));
            Assert.Equal(opener.Contains('>', StringComparison.Ordinal), tagEnd.From(position) is not null);
        }

        // Without the memory, the closer was searched for to the end of the text from each of the 20,000 openers.
        Assert.Equal(1, closer.Searches);
        Assert.Equal(opener.Contains('>', StringComparison.Ordinal) ? 20_000 : 1, tagEnd.Searches);
    }

    [Fact]
    public void From_PositionsBeforeTheMatchFound_AnswerWithoutSearchingAgain()
    {
        const string Html = "<h2>a</h2><h2>b</h2>";
        var closer = new ForwardSearch(Html, Closer(), m => m.Groups["name"].Value == "2");

        Assert.Equal(5, closer.From(4)?.Index);
        Assert.Equal(5, closer.From(5)?.Index);
        Assert.Equal(15, closer.From(6)?.Index);
        Assert.Null(closer.From(16));
        Assert.Equal(5, closer.From(0)?.Index);

        Assert.Equal(4, closer.Searches);
    }

    [Theory]
    [MemberData(nameof(Openers))]
    public async Task Parse_FortyThousandOpenersThatNeverClose_KeepsTheText(string opener)
    {
        // A guard, not a benchmark: the linear scan takes well under a second; the regexes took minutes.
        var html = string.Concat(Enumerable.Repeat(opener, 40_000)) + "<p>Final words.</p>";

        var (_, sections) = await Task.Run(() => HtmlSectioner.Parse(html)).WaitAsync(TimeSpan.FromMinutes(1));

        Assert.Equal("Final words.", Assert.Single(sections).Paragraphs[^1]);
    }

    [Fact]
    public void Parse_RandomTagSoup_SectionsAsTheRegexesDid()
    {
        string[] atoms =
        [
            "<", ">", "<!--", "-->", "--", "<script", "</script", "<SCRIPT>", "</Script >", "<style>", "</style>", "<head>", "<header>", "</head>",
            "<noscript>", "</noscript\n>", "<template a='>'>", "</template>", "<h1>", "</h1>", "<h2 class=x>", "</h2>", "</H2 >", "<h3", "</h3>",
            "<h6>", "</h6>", "<h7>", "<h2x>", "<p>", "</p>", "<pre>", "<p2>", "<br/>", "<div", "</div>", "<li>", "<blockquote>", "<dd>", "<tr>",
            "<table>", "\n", "\n\n", "\n \n", " ", "a", "K", "\u212A", "\u200D", "\u0301", "_", "1", "&amp;", "&lt;", "x y.", "<bLoCKQUO\u212Ate>", "<h2\u200D>", "<p\u0301>", "<p-x>",
        ];
        var random = new Random(24);
        for (var i = 0; i < 3_000; i++)
        {
            var pool = Enumerable.Range(0, random.Next(2, 10)).Select(_ => atoms[random.Next(atoms.Length)]).ToArray();
            var html = new StringBuilder();
            for (var n = random.Next(1, 60); n > 0; n--)
            {
                html.Append(pool[random.Next(pool.Length)]);
            }

            var text = html.ToString();
            Assert.Equal(Show(RegexHtmlSectioner.Parse(text)), Show(HtmlSectioner.Parse(text)));
            Assert.Equal(RegexHtmlSectioner.StripTags(text), HtmlText.StripTags(text));
        }
    }

    private static string Show((string? Title, IReadOnlyList<Section> Sections) parsed) =>
        $"{parsed.Title}\n" + string.Join("\n", parsed.Sections.Select(s => $"{s.Path}: {string.Join(" | ", s.Paragraphs)}"));

    [GeneratedRegex(@"</h(?<name>[1-6])\s*>|-->", RegexOptions.IgnoreCase)]
    private static partial Regex Closer();

    [GeneratedRegex(">")]
    private static partial Regex TagEnd();
}
