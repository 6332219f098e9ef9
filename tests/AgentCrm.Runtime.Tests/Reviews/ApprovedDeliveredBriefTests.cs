using System.Net;
using System.Text.Json;

namespace AgentCrm.Runtime.Tests.Reviews;

/// <summary>
/// A delivered brief a reviewer approves inside its veto window (qa36d #3): it leaves the review queue, which lists the
/// briefs awaiting a verdict, yet stays delivered — listed by <c>GET /v1/briefs?status=delivered</c> — and can still be
/// vetoed (retracted) from the brief itself until its <c>reviewUntil</c> (README, <c>GET /v1/reviews</c>).
/// </summary>
public sealed class ApprovedDeliveredBriefTests
{
    private static async Task<List<string>> IdsAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)response.StatusCode} {body}");
        return body.GetProperty("items").EnumerateArray().Select(b => b.GetProperty("id").GetString()!).ToList();
    }

    [Fact]
    public async Task AnApprovedDeliveredBrief_LeavesTheReviewQueue_StaysListedAsDelivered_AndCanStillBeVetoedInItsWindow()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using var rita = await app.ClientAsync("reviewer", "rita");
        var id = await app.AtRiskBriefAsync("acme", "delivered");
        Assert.Contains(id, await IdsAsync(rita, "/v1/reviews?limit=500"));

        using (var approved = await rita.PostAsync($"/v1/briefs/{id}/approve", Variants.Json("{}")))
        {
            var body = JsonDocument.Parse(await approved.Content.ReadAsStringAsync()).RootElement;
            Assert.True(approved.StatusCode == HttpStatusCode.OK, body.ToString());
            Assert.Equal(("delivered", "approved"), (body.GetProperty("status").GetString(), body.GetProperty("review").GetProperty("verdict").GetString()));
            Assert.True(body.GetProperty("reviewUntil").GetDateTimeOffset() > DateTimeOffset.UtcNow);
        }

        Assert.DoesNotContain(id, await IdsAsync(rita, "/v1/reviews?limit=500"));
        Assert.DoesNotContain(id, await IdsAsync(rita, "/v1/reviews?status=delivered&limit=500"));
        Assert.Contains(id, await IdsAsync(rita, "/v1/briefs?status=delivered&limit=500"));
        Assert.Contains(id, await IdsAsync(app.Client, "/v1/briefs?status=delivered&customerId=acme&limit=500"));

        using var vetoed = await rita.PostAsync($"/v1/briefs/{id}/veto", Variants.Json("""{"reason":"renewed by phone after all"}"""));
        var retracted = JsonDocument.Parse(await vetoed.Content.ReadAsStringAsync()).RootElement;
        Assert.True(vetoed.StatusCode == HttpStatusCode.OK, retracted.ToString());
        Assert.Equal("retracted", retracted.GetProperty("status").GetString());
        Assert.Contains(id, await IdsAsync(rita, "/v1/briefs?status=retracted&limit=500"));
    }
}
