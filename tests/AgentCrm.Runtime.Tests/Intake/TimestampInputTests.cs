using System.Net;
using System.Text;
using System.Text.Json;
using AgentCrm.Intake;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Intake;

/// <summary>
/// Timestamps as the API reads them, over HTTP and the real SQLite file: nothing after the offset (a trailing line break
/// was accepted and kept), a lower-case 't' taken as RFC 3339 allows and kept upper case, a day or time that does not
/// exist told as that, and consent expiry written in UTC like every other time.
/// </summary>
public sealed class TimestampInputTests
{
    private static string Event(string id, string occurredAt, string attributes = "{}") =>
        JsonSerializer.Serialize(new { id, customerId = "ts-1", type = "login", occurredAt, attributes = JsonDocument.Parse(attributes).RootElement });

    private static async Task<HttpResponseMessage> PostAsync(AgentCrmApp app, string body) =>
        await app.Client.PostAsync("/v1/events", new StringContent(body, Encoding.UTF8, "application/json"));

    private static string HourAgo(string format = "yyyy-MM-dd'T'HH:mm:ss'Z'") =>
        DateTimeOffset.UtcNow.AddHours(-1).UtcDateTime.ToString(format, System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task ATimestampWithATrailingLineBreak_IsRefusedNamingTheField_InEventsSinceAndConsent()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var at = HourAgo() + "\n";

        using (var response = await PostAsync(app, Event("nl-1", at)))
        {
            var problem = await response.ProblemAsync(HttpStatusCode.BadRequest);
            Assert.Contains("not an ISO 8601 timestamp", problem.GetProperty("errors").GetProperty("$.occurredAt")[0].GetString(), StringComparison.Ordinal);
        }
        Assert.Equal(0, app.Services.GetRequiredService<EventStore>().MaxSeq());

        // A date attribute is read by the same kind of pattern: refused too.
        using (var response = await PostAsync(app, JsonSerializer.Serialize(new { id = "nl-2", customerId = "ts-1", type = "contract", occurredAt = HourAgo(),
            attributes = new { endDate = "2027-12-31\n" } })))
            Assert.True((await response.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("$.attributes.endDate", out _));

        using (var response = await app.Client.GetAsync("/v1/briefs?since=" + Uri.EscapeDataString(at)))
            Assert.True((await response.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("since", out _));

        using (var response = await app.Client.PutAsync("/v1/customers/ts-1/consent", new StringContent(
            JsonSerializer.Serialize(new { grants = new[] { new { purpose = "*", categories = new[] { "*" }, expiresAt = "2099-12-31T00:00:00Z\n" } } }), Encoding.UTF8, "application/json")))
            Assert.True((await response.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("grants[0].expiresAt", out _));
    }

    [Fact]
    public async Task ALowerCaseSeparator_IsAccepted_AndTheStoredBodyReadsUpperCase()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var at = HourAgo("yyyy-MM-dd't'HH:mm:ss'z'");

        using (var response = await PostAsync(app, Event("lc-1", at)))
            Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());

        var stored = Assert.Single(app.Services.GetRequiredService<EventStore>().GetRaw(["lc-1"], "ts-1"));
        Assert.Equal(at.ToUpperInvariant(), stored.GetProperty("occurredAt").GetString());
        Assert.Equal("login", stored.GetProperty("type").GetString());
        // The same event sent again with 'T' and 'Z' is the same event: a duplicate, not a reused id.
        using (var again = await PostAsync(app, Event("lc-1", at.ToUpperInvariant())))
            Assert.True(again.IsSuccessStatusCode, await again.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ALowerCaseSeparator_KeepsEveryOtherPropertyAsSent()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var at = HourAgo("yyyy-MM-dd't'HH:mm:ss'z'");
        var body = $$$"""{"id":"lc-2","customerId":"ts-1","type":"login","occurredAt":"{{{at}}}","attributes":{"note":"Café + <b>"}}""";

        using (var response = await PostAsync(app, body))
            Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());

        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(app.DataDirectory, "agentcrm.db")};Pooling=False");
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT body FROM events WHERE id = 'lc-2'";
        var stored = (string)cmd.ExecuteScalar()!;
        // Rewritten for its 'T' and 'Z' alone: the default encoder stored "Caf\u00E9 \u002B \u003Cb\u003E".
        Assert.Contains("\"Café + <b>\"", stored, StringComparison.Ordinal);
        Assert.Contains($"\"{at.ToUpperInvariant()}\"", stored, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2026-02-29T09:30:00Z")]
    [InlineData("2026-11-02T24:00:00Z")]
    [InlineData("2026-11-02T23:59:60Z")]
    [InlineData("2026-13-02T09:30:00Z")]
    public async Task ATimestampNamingNoInstant_IsToldItIsNotAValidDateAndTime(string at)
    {
        await using var app = await AgentCrmApp.StartAsync();

        using var response = await PostAsync(app, Event("bad-1", at));

        var message = (await response.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").GetProperty("$.occurredAt")[0].GetString();
        Assert.Equal($"'{at}' is not a valid date and time (a day of that month, hours 00-23, minutes and seconds 00-59).", message);
    }

    [Fact]
    public async Task AConsentExpiryWithAnOffset_IsWrittenInUtc_InTheAnswerAndTheCustomer()
    {
        await using var app = await AgentCrmApp.StartAsync();

        using var response = await app.Client.PutAsync("/v1/customers/ts-2/consent", new StringContent(
            """{"grants":[{"purpose":"*","categories":["*"],"expiresAt":"2099-12-31T05:30:00+05:30"}]}""", Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);

        Assert.Equal("2099-12-31T00:00:00+00:00", JsonDocument.Parse(text).RootElement.GetProperty("grants")[0].GetProperty("expiresAt").GetString());
        var customer = await app.GetJsonAsync("/v1/customers/ts-2");
        Assert.Equal("2099-12-31T00:00:00+00:00", customer.GetProperty("consent").GetProperty("grants")[0].GetProperty("expiresAt").GetString());
    }
}
