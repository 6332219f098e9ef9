using System.Text.Json;
using AgentCrm.Agents.Customers;

namespace AgentCrm.Agents.Tests.Customers;

public sealed class DaySeriesTests
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    [Fact]
    public void ValuesStayInDayOrder_SumsCoverTheirDays_AndTrimDropsOnlyOlderDays()
    {
        var series = new DaySeries<double>();
        foreach (var (day, amount) in new[] { (20, 2.0), (10, 1.0), (30, 3.0), (20, 0.5), (15, 4.0) })
            series.Add(day, amount);

        Assert.Equal([10, 15, 20, 30], series.Select(p => p.Key));
        Assert.Equal(2.5, series[20]);
        Assert.Equal(0, series[11]);
        Assert.Equal(30, series.LastDay);
        Assert.Equal(6.5, series.Sum(11, 29));
        Assert.Equal(10.5, series.Sum(0, 100));
        Assert.Equal(0, series.Sum(31, 40));

        series.TrimBefore(15);
        Assert.Equal([15, 20, 30], series.Select(p => p.Key));
        series.TrimBefore(31);
        Assert.Equal(0, series.Count);
    }

    [Fact]
    public void Json_IsTheSortedDictionarysJson_SoStateSavedBeforeReadsBack()
    {
        // Customer state saved before this type stored the series as SortedDictionary<int, T> with the Web defaults.
        var before = new SortedDictionary<int, double> { [20699] = 25, [20700] = 33.5, [-3] = 1 };
        var beforeJson = JsonSerializer.Serialize(before, Web);

        var read = JsonSerializer.Deserialize<DaySeries<double>>(beforeJson, Web)!;
        Assert.Equal(before, read.ToDictionary(p => p.Key, p => p.Value));
        Assert.Equal(beforeJson, JsonSerializer.Serialize(read, Web));

        var counts = new Dictionary<string, SortedDictionary<int, int>> { ["email"] = new() { [5] = 2, [7] = 1 }, ["email.inquiry"] = new() { [7] = 1 } };
        var countsJson = JsonSerializer.Serialize(counts, Web);
        var readCounts = JsonSerializer.Deserialize<Dictionary<string, DaySeries<int>>>(countsJson, Web)!;
        Assert.Equal(countsJson, JsonSerializer.Serialize(readCounts, Web));
        // Numbers written as strings are read, as the Web defaults read them.
        Assert.Equal(3, JsonSerializer.Deserialize<DaySeries<int>>("""{"4":"3"}""", Web)![4]);
    }

    [Theory]
    [InlineData("""{"a":1}""")]
    [InlineData("""{"":1}""")]
    [InlineData("""{"99999999999":1}""")]
    [InlineData("""{"1":1.5}""")]
    [InlineData("""{"1":"2.5"}""")]
    [InlineData("""{"1":1E+20}""")]
    [InlineData("""{"1":"0x10"}""")]
    [InlineData("""{"1":null}""")]
    [InlineData("""[1]""")]
    public void MalformedCounts_AreAJsonException(string json) =>
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<DaySeries<int>>(json, Web));

    [Theory]
    [InlineData("""{"1":"1,000"}""")]
    [InlineData("""{"1":" 3"}""")]
    [InlineData("""{" 1":3}""")]
    [InlineData("""{"1":true}""")]
    public void MalformedAmounts_AreAJsonException(string json) =>
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<DaySeries<double>>(json, Web));

    [Fact]
    public void AStateRoundTripsThroughJson_WithTheSameSnapshot()
    {
        var s = new CustomerState();
        var now = new DateTimeOffset(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);
        var n = 0;
        foreach (var (type, daysAgo, attributes) in new (string, int, object)[]
        {
            ("usage", 40, new { quantity = 10 }), ("usage", 3, new { quantity = 4 }), ("login", 2, new { }), ("email", 5, new { category = "inquiry" }),
        })
            CustomerTimeline.Apply(s, new CrmEvent($"e{++n}", "c-1", type, now.AddDays(-daysAgo), "test", JsonSerializer.SerializeToElement(attributes)));

        var copy = JsonSerializer.Deserialize<CustomerState>(JsonSerializer.SerializeToUtf8Bytes(s, Web), Web)!;

        var want = SnapshotBuilder.Build(s, now).Fields;
        var got = SnapshotBuilder.Build(copy, now).Fields;
        Assert.Equal(want.Keys.Order(), got.Keys.Order());
        foreach (var (name, field) in want)
            Assert.True(field.Number == got[name].Number && field.Text == got[name].Text, name);
        Assert.Equal(1, got["events.count7d.email.inquiry"].Number);
        Assert.Equal(4, got["usage.last30d"].Number);
    }
}
