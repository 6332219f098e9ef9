using System.Net;
using System.Text.Json;

namespace AgentCrm.Runtime.Tests.Reviews;

/// <summary>
/// What a review shows to whom: a CSM reading a retracted (or approved) brief of their account sees the verdict and
/// its reason, never the reviewer's note, identity or label (by id, in the list, in the customer view, in the
/// evidence); ops, reviewers and admins read the whole review.
/// </summary>
public sealed class ReviewVisibilityTests
{
    private const string Reason = "Customer renewed last week";
    private const string Note = "Internal: the account manager mishandled the renewal call";

    private static async Task<(HttpStatusCode Status, string Body)> GetAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task RetractedOrApprovedBrief_CsmSeesVerdictAndReasonOnly_OthersSeeTheWholeReview()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using var reviewer = await app.ClientAsync("reviewer", "rita");
        using var ops = await app.ClientAsync("ops");
        using var csm = await app.ClientAsync("csm", "carla");
        using (var assigned = await app.Client.PutAsync("/v1/csms/carla/accounts", Variants.Json("""{"accounts":["acme","initech"]}""")))
            Assert.Equal(HttpStatusCode.OK, assigned.StatusCode);
        var retracted = await app.AtRiskBriefAsync("acme", "delivered");
        var approved = await app.AtRiskBriefAsync("initech", "delivered");
        // The CSM's brief stream, open while the reviewer decides: it shows the retraction as the other reads do.
        using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        using var stream = await csm.GetAsync("/v1/briefs/stream", HttpCompletionOption.ResponseHeadersRead, cancel.Token);
        var streamed = new List<string>();
        var reader = Task.Run(async () =>
        {
            try
            {
                await using var body = await stream.Content.ReadAsStreamAsync(cancel.Token);
                await foreach (var item in System.Net.ServerSentEvents.SseParser.Create(body).EnumerateAsync(cancel.Token))
                    lock (streamed)
                        streamed.Add(item.Data);
            }
            catch (OperationCanceledException)
            {
                // The test closes the stream when it has what it needs.
            }
        });
        using (var veto = await reviewer.PostAsync($"/v1/briefs/{retracted}/veto", Variants.Json($$"""{"reason":"{{Reason}}","note":"{{Note}}","correctLabel":false}""")))
            Assert.Equal(HttpStatusCode.OK, veto.StatusCode);
        using (var approve = await reviewer.PostAsync($"/v1/briefs/{approved}/approve", Variants.Json($$"""{"note":"{{Note}}"}""")))
            Assert.Equal(HttpStatusCode.OK, approve.StatusCode);

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!HasBoth())
        {
            Assert.True(DateTime.UtcNow < deadline, "expected the retraction and the approval on the CSM's stream within 30 s");
            await Task.Delay(20);
        }
        await cancel.CancelAsync();
        await reader;
        lock (streamed)
            Assert.All(streamed, data =>
            {
                Assert.DoesNotContain(Note, data, StringComparison.Ordinal);
                Assert.DoesNotContain("rita", data, StringComparison.Ordinal);
            });

        bool HasBoth()
        {
            lock (streamed)
                return streamed.Any(d => d.Contains(retracted, StringComparison.Ordinal) && d.Contains("\"retracted\"", StringComparison.Ordinal))
                    && streamed.Any(d => d.Contains(approved, StringComparison.Ordinal) && d.Contains("approved", StringComparison.Ordinal));
        }

        // The CSM: by id, the list, the customer view and the evidence never carry the note, the reviewer or the label.
        foreach (var path in new[]
        {
            $"/v1/briefs/{retracted}", $"/v1/briefs/{approved}", "/v1/briefs", "/v1/briefs?status=retracted", "/v1/briefs?customerId=acme",
            "/v1/customers/initech", $"/v1/briefs/{retracted}/evidence", $"/v1/briefs/{approved}/evidence",
        })
        {
            var (status, body) = await GetAsync(csm, path);
            Assert.True(status == HttpStatusCode.OK, $"GET {path} as the CSM: {(int)status} {body}");
            Assert.DoesNotContain(Note, body, StringComparison.Ordinal);
            Assert.DoesNotContain("rita", body, StringComparison.Ordinal);
            Assert.DoesNotContain("correctLabel\":false", body, StringComparison.Ordinal);
        }
        var (_, seen) = await GetAsync(csm, $"/v1/briefs/{retracted}");
        var review = JsonDocument.Parse(seen).RootElement.GetProperty("review");
        Assert.Equal("retracted", JsonDocument.Parse(seen).RootElement.GetProperty("status").GetString());
        Assert.Equal(("vetoed", Reason), (review.GetProperty("verdict").GetString(), review.GetProperty("reason").GetString()));
        foreach (var hidden in new[] { "reviewer", "note", "correctLabel" })
            Assert.True(!review.TryGetProperty(hidden, out var v) || v.ValueKind == JsonValueKind.Null, $"the CSM sees review.{hidden}: {review}");
        var (_, listed) = await GetAsync(csm, "/v1/briefs?status=retracted");
        var listedReview = JsonDocument.Parse(listed).RootElement.GetProperty("items").EnumerateArray().Single().GetProperty("review");
        Assert.Equal(Reason, listedReview.GetProperty("reason").GetString());

        // Ops, the reviewer and an admin read the whole review, by id and in the list.
        foreach (var client in new[] { ops, reviewer, app.Client })
        {
            var (status, body) = await GetAsync(client, $"/v1/briefs/{retracted}");
            Assert.Equal(HttpStatusCode.OK, status);
            var full = JsonDocument.Parse(body).RootElement.GetProperty("review");
            Assert.Equal(("key:rita", Reason, Note, false),
                (full.GetProperty("reviewer").GetString(), full.GetProperty("reason").GetString(), full.GetProperty("note").GetString(), full.GetProperty("correctLabel").GetBoolean()));
            var (_, list) = await GetAsync(client, "/v1/briefs?customerId=initech");
            var approval = JsonDocument.Parse(list).RootElement.GetProperty("items").EnumerateArray().Single(b => b.GetProperty("id").GetString() == approved).GetProperty("review");
            Assert.Equal(("approved", "key:rita", Note), (approval.GetProperty("verdict").GetString(), approval.GetProperty("reviewer").GetString(), approval.GetProperty("note").GetString()));
        }
    }
}
