using AgentCrm.Agents.Text;

namespace AgentCrm.Agents.Tests.Text;

/// <summary>"Did you mean …?" for settings, CLI verbs and manifest fields.</summary>
public sealed class EditDistanceTests
{
    [Theory]
    [InlineData("tickets.opne", "tickets.open")]
    [InlineData("Tickets.open", "tickets.open")]
    [InlineData("ticket.open", "tickets.open")]
    [InlineData("tickets.openn", "tickets.open")]
    [InlineData("usage.trned30d", "usage.trend30d")]
    public void Closest_ATypoOfOneOrTwoEdits_NamesTheField(string typo, string expected) =>
        Assert.Equal(expected, EditDistance.Closest(typo, ["tickets.opened90d", "tickets.open", "usage.trend30d", "usage.trend90d"]));

    [Theory]
    [InlineData("services.internet")]
    [InlineData("tickets.closed")]
    [InlineData("zz")]
    [InlineData("")]
    public void Closest_NothingNear_IsNull(string word) =>
        Assert.Null(EditDistance.Closest(word, ["tickets.open", "usage.trend30d", "ax"]));

    // The bounded measure Closest uses (a band around the diagonal, stopping early) must agree with the whole matrix: a
    // name is suggested exactly when it is at most two edits away and fewer than the word's length, the nearest first.
    [Fact]
    public void Closest_AgreesWithTheFullMeasure_OnEveryPairOfShortWords()
    {
        var random = new Random(44);
        string Word() => new([.. Enumerable.Range(0, random.Next(0, 7)).Select(_ => "abc"[random.Next(3)])]);
        for (var n = 0; n < 20_000; n++)
        {
            var (word, name, other) = (Word(), Word(), Word());
            var near = Between(word, name);
            var expected = near <= 2 && near < word.Length ? name : null;
            Assert.True(expected == EditDistance.Closest(word, [name]), $"'{word}' vs '{name}': distance {near}");
            var both = new[] { name, other }.Select(k => (Name: k, Distance: Between(word, k))).Where(c => c.Distance <= 2 && c.Distance < word.Length)
                .OrderBy(c => c.Distance).FirstOrDefault().Name;
            Assert.Equal(both, EditDistance.Closest(word, [name, other]));
        }
    }

    private static int Between(string a, string b) => Math.Abs(a.Length - b.Length) > 2 ? 3 : EditDistance.Between(a, b);
}
