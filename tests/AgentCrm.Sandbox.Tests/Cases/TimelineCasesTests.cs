using AgentCrm.Sandbox.Cases;

namespace AgentCrm.Sandbox.Tests.Cases;

public sealed class TimelineCasesTests
{
    private const string Events = """
        {"id":"e1","customerId":"acme","type":"contract","occurredAt":"2026-01-01T00:00:00Z","source":"crm","attributes":{"contractType":"Monthly","endDate":"2026-12-31T00:00:00Z"}}
        {"id":"e2","customerId":"acme","type":"support_ticket","occurredAt":"2026-05-01T00:00:00Z","attributes":{"ticketId":"T1","status":"open"}}
        {"id":"e3","customerId":"acme","type":"support_ticket","occurredAt":"2026-07-01T00:00:00Z","attributes":{"ticketId":"T1","status":"resolved"}}

        {"id":"e4","customerId":"globex","type":"nps","occurredAt":"2026-02-01T10:00:00+02:00","attributes":{"score":3}}
        """;

    [Fact]
    public void LoadTimeline_AppliesOnlyEventsUpToTheCutoff()
    {
        var set = SampleData.Timeline(Events, "customerId,cutoff,label\nacme,2026-06-01T00:00:00Z,1\nacme,2026-08-01T00:00:00Z,0\nglobex,2026-03-01,yes\n");

        Assert.Equal(CaseSetKinds.Timeline, set.Kind);
        Assert.Equal("timeline-test", set.Name);
        Assert.Equal(3, set.Cases.Count);
        var june = set.Cases[0];
        Assert.Equal("acme@2026-06-01T00:00:00Z", june.Id);
        Assert.True(june.Label);
        Assert.Equal("acme", june.Snapshot.CustomerId);
        Assert.Equal(new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero), june.Snapshot.AsOf);
        Assert.Equal("month-to-month", june.Snapshot.Text("contract.type"));
        Assert.Equal(1, june.Snapshot.Number("tickets.open"));
        Assert.Equal(["e2"], june.Snapshot.EventIds("tickets.open"));
        Assert.Equal(213, june.Snapshot.Number("contract.daysToEnd"));
        var august = set.Cases[1];
        Assert.False(august.Label);
        Assert.Equal(0, august.Snapshot.Number("tickets.open"));
        Assert.Equal(3, set.Cases[2].Snapshot.Number("nps.latest"));
        Assert.True(set.Cases[2].Label);
    }

    [Fact]
    public void LoadTimeline_HashCoversEventsAndLabels()
    {
        const string labels = "customerId,cutoff,label\nacme,2026-06-01T00:00:00Z,1\n";
        var a = SampleData.Timeline(Events, labels);
        Assert.Equal(a.Hash, SampleData.Timeline(Events, labels).Hash);
        Assert.NotEqual(a.Hash, SampleData.Timeline(Events, labels.Replace(",1", ",0", StringComparison.Ordinal)).Hash);
    }

    [Theory]
    [InlineData("{\"id\":\"e1\",\"customerId\":\"a\",\"type\":\"usage\",\"occurredAt\":\"2026-01-01T00:00:00Z\"}\n{\"id\":\"e2\",\"customerId\":\"a\",\"type\":\"telepathy\",\"occurredAt\":\"2026-01-01T00:00:00Z\"}",
        "events.ndjson line 2: unknown event type 'telepathy'; allowed:")]
    [InlineData("{\"id\":\"e1\",\"customerId\":\"a\",\"type\":\"usage\",\"occurredAt\":\"yesterday\"}", "events.ndjson line 1: occurredAt 'yesterday' is not an ISO 8601 timestamp")]
    [InlineData("{\"id\":\"e1\",\"customerId\":\"a\",\"type\":\"usage\",\"occurredAt\":\"2026-01-01T00:00:00Z\"}\n\n{\"id\":\"e1\",\"customerId\":\"a\",\"type\":\"usage\",\"occurredAt\":\"2026-01-02T00:00:00Z\"}",
        "events.ndjson line 3: event id 'e1' was used on line 1 for another event: its occurredAt differs;")]
    [InlineData("{\"id\":\"e1\",\"customerId\":\"a\",\"type\":\"usage\",\"occurredAt\":\"2026-01-01T00:00:00Z\",\"colour\":1}", "events.ndjson line 1: unknown property 'colour'")]
    [InlineData("{\"id\":\"e1\",\"customerId\":\"a\",\"type\":\"usage\",\"occurredAt\":\"2026-01-01T00:00:00Z\"}\n{\"id\":", "events.ndjson line 2: malformed JSON")]
    [InlineData("{\"id\":\"e1\",\"type\":\"usage\",\"occurredAt\":\"2026-01-01T00:00:00Z\"}", "events.ndjson line 1: customerId is required and must be a non-empty string.")]
    [InlineData("{\"id\":\"e1\",\"customerId\":\"a\",\"type\":\"usage\",\"occurredAt\":\"2026-01-01T00:00:00Z\"}\n{\"id\":\"e2\",\"customerId\":\"a\",\"type\":\"nps\",\"occurredAt\":\"2026-01-02T00:00:00Z\",\"attributes\":{\"score\":11}}",
        "events.ndjson line 2: attributes.score must be a number from 0 to 10, not the number 11.")]
    [InlineData("\n\n", "events.ndjson: the file is empty; expected one JSON event per line.")]
    // Intake's rules of ids: what POST /v1/events refuses, a case file may not hold either.
    [InlineData("{\"id\":\"e1\",\"customerId\":\" a\",\"type\":\"usage\",\"occurredAt\":\"2026-01-01T00:00:00Z\"}",
        "events.ndjson line 1: customerId must not start or end with white space nor contain invisible formatting characters")]
    [InlineData("{\"id\":\"e1\",\"customerId\":\"a\\u200B\",\"type\":\"usage\",\"occurredAt\":\"2026-01-01T00:00:00Z\"}",
        "events.ndjson line 1: customerId must not start or end with white space nor contain invisible formatting characters")]
    [InlineData("{\"id\":\"e1\",\"customerId\":\"a/b\",\"type\":\"usage\",\"occurredAt\":\"2026-01-01T00:00:00Z\"}",
        "events.ndjson line 1: customerId must not be \".\" or \"..\" nor contain / \\ ? # or control characters.")]
    [InlineData("{\"id\":\"e\\u00001\",\"customerId\":\"a\",\"type\":\"usage\",\"occurredAt\":\"2026-01-01T00:00:00Z\"}",
        "events.ndjson line 1: id must not contain control characters.")]
    [InlineData("{\"id\":\"e1\",\"customerId\":\"a\",\"type\":\"usage\",\"occurredAt\":\"2026-01-01T00:00:00Z\",\"source\":\"crm\\u0007\"}",
        "events.ndjson line 1: source must not contain control characters.")]
    public void LoadTimeline_BadEvent_NamesTheLine(string ndjson, string message)
    {
        var ex = Assert.Throws<CaseSetException>(() => SampleData.Timeline(ndjson, "customerId,cutoff,label\na,2026-06-01T00:00:00Z,1\n"));
        Assert.StartsWith(message, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void LoadTimeline_AnIdLongerThanIntakeTakes_NamesTheLine()
    {
        var ndjson = $"{{\"id\":\"{new string('e', 201)}\",\"customerId\":\"a\",\"type\":\"usage\",\"occurredAt\":\"2026-01-01T00:00:00Z\"}}";

        var ex = Assert.Throws<CaseSetException>(() => SampleData.Timeline(ndjson, "customerId,cutoff,label\na,2026-06-01T00:00:00Z,1\n"));

        Assert.Equal("events.ndjson line 1: id is longer than 200 characters (this one has 201).", ex.Message);
        // Counted as intake counts it, in characters: 200 emoji are an id.
        var emoji = string.Concat(Enumerable.Repeat("\U0001F600", 200));
        var cases = SampleData.Timeline($"{{\"id\":\"{emoji}\",\"customerId\":\"a\",\"type\":\"usage\",\"occurredAt\":\"2026-01-01T00:00:00Z\"}}", "customerId,cutoff,label\na,2026-06-01T00:00:00Z,1\n");
        Assert.NotNull(cases);
    }

    [Fact]
    public void LoadTimeline_DuplicateProperty_IsRefusedNotLastWins()
    {
        const string ndjson = "{\"id\":\"e1\",\"customerId\":\"a\",\"type\":\"usage\",\"occurredAt\":\"2026-01-01T00:00:00Z\",\"customerId\":\"b\"}";
        var ex = Assert.Throws<CaseSetException>(() => SampleData.Timeline(ndjson, "customerId,cutoff,label\na,2026-06-01T00:00:00Z,1\n"));
        Assert.StartsWith("events.ndjson line 1: malformed JSON", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'customerId'", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("customerId,cutoff,label\nacme,2026-06-01T00:00:00Z,1\nacme,June,0\n", "labels.csv line 3, column 'cutoff': 'June' is not an ISO 8601 timestamp")]
    [InlineData("customerId,cutoff,label\nacme,2026-06-01T00:00:00Z,\n", "labels.csv line 2, column 'label': missing label value.")]
    [InlineData("customerId,cutoff,label\nacme,2026-06-01T00:00:00Z,maybe\n", "labels.csv line 2, column 'label': label 'maybe' is not 1/0, true/false or yes/no.")]
    [InlineData("customerId,cutoff,label\nacme,2026-06-01T00:00:00Z,1\nacme,2026-06-01T00:00:00Z,0\n", "labels.csv line 3, column 'cutoff': customer 'acme' already has a label at this cutoff (line 2).")]
    [InlineData("customerId,cutoff,label\nacme,2026-06-01,1\nacme,2026-06-01T02:00:00+02:00,0\n", "labels.csv line 3, column 'cutoff': customer 'acme' already has a label at this cutoff (line 2).")]
    [InlineData("customer,cutoff,label\nacme,2026-06-01T00:00:00Z,1\n", "labels.csv line 1, column 'customer': unknown column")]
    [InlineData("customerId,cutoff,label\n", "labels.csv: the file has a header but no rows.")]
    public void LoadTimeline_BadLabels_NamesTheLine(string labels, string message)
    {
        var ex = Assert.Throws<CaseSetException>(() => SampleData.Timeline(Events, labels));
        Assert.StartsWith(message, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadTimeline_NineFractionalDigits_AreTruncatedAsIntakeDoes_NotRounded()
    {
        // Intake truncates to 100 ns: the event (90 ns past midnight) and the cutoff (40 ns) are both midnight, so the event counts; rounded, it fell after the cutoff.
        const string events = """
            {"id":"e1","customerId":"acme","type":"nps","occurredAt":"2026-06-01T00:00:00.000000090Z","attributes":{"score":4}}
            """;
        var set = SampleData.Timeline(events, "customerId,cutoff,label\nacme,2026-06-01T00:00:00.000000040Z,1\n");

        var only = Assert.Single(set.Cases);
        Assert.Equal(new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero), only.Snapshot.AsOf);
        Assert.Equal(4, only.Snapshot.Number("nps.latest"));
    }

    [Fact]
    public void LoadTimeline_TwoCutoffsWithinOneSecond_AreTwoCases()
    {
        var set = SampleData.Timeline(Events, "customerId,cutoff,label\nacme,2026-06-01T00:00:00Z,1\nacme,2026-06-01T00:00:00.5Z,0\n");

        Assert.Equal(["acme@2026-06-01T00:00:00Z", "acme@2026-06-01T00:00:00.5Z"], set.Cases.Select(c => c.Id));
        Assert.Equal(new DateTimeOffset(2026, 6, 1, 0, 0, 0, 500, TimeSpan.Zero), set.Cases[1].Snapshot.AsOf);
    }

    [Fact]
    public void LoadTimeline_CustomerWithoutEvents_IsACaseWithAnEmptyTimeline_LikeOneWhoseEventsAllComeLater()
    {
        var set = SampleData.Timeline(Events, "customerId,cutoff,label\nnobody,2026-06-01T00:00:00Z,1\nacme,2025-06-01T00:00:00Z,0\n");

        Assert.Equal(2, set.Cases.Count);
        var (nobody, early) = (set.Cases[0].Snapshot, set.Cases[1].Snapshot);
        Assert.Equal("nobody", nobody.CustomerId);
        Assert.Equal(0, nobody.Number("events.total"));
        Assert.Null(nobody.Number("contract.daysToEnd"));
        Assert.Equal(early.Fields.Keys.Order(StringComparer.Ordinal), nobody.Fields.Keys.Order(StringComparer.Ordinal));
        Assert.All(early.Fields, f => Assert.Equal(f.Value.Value, nobody.Fields[f.Key].Value));
    }

    [Fact]
    public void LoadTimeline_BadName_IsRejected()
    {
        var ex = Assert.Throws<CaseSetException>(() => SampleData.Timeline(Events, "customerId,cutoff,label\nacme,2026-06-01T00:00:00Z,1\n", "Bad Name"));
        Assert.Contains("lower-case", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadTimeline_FromFiles_NamesTheFiles()
    {
        var dir = Directory.CreateTempSubdirectory("agentcrm-cases-");
        try
        {
            var events = Path.Combine(dir.FullName, "history.ndjson");
            var labels = Path.Combine(dir.FullName, "outcomes.csv");
            File.WriteAllText(events, Events);
            File.WriteAllText(labels, "customerId,cutoff,label\nacme,2026-06-01T00:00:00Z,2\n");
            var ex = Assert.Throws<CaseSetException>(() => CaseSetLoader.LoadTimeline(events, labels, "history"));
            Assert.StartsWith("outcomes.csv line 2, column 'label'", ex.Message, StringComparison.Ordinal);

            File.WriteAllText(labels, "customerId,cutoff,label\nacme,2026-06-01T00:00:00Z,1\n");
            Assert.Single(CaseSetLoader.LoadTimeline(events, labels, "history").Cases);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
