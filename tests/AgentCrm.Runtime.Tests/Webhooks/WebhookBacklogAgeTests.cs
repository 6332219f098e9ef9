using System.Text.Json;
using AgentCrm.Runtime.Tests.EndToEnd;
using AgentCrm.Runtime.Tests.Observability;
using AgentCrm.Runtime.Tests.Reviews;
using AgentCrm.Webhooks;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Webhooks;

/// <summary>
/// A subscription whose receiver is gone, under steady traffic: the backlog's count stops at the audit records it reads
/// (<see cref="WebhookStore.BacklogScanCap"/>), so "a backlog that keeps growing" never fired. The age of its oldest change
/// not yet delivered, and the audit records behind its cursor, keep growing; GET and the metrics show both.
/// </summary>
public sealed class WebhookBacklogAgeTests
{
    [Fact]
    public async Task Backlog_PastTheCountsCap_OldestPendingAgeAndRecordsBehind_KeepGrowing()
    {
        var data = TempDirectory.Create();
        var clock = new WebhookDisableTests.ShiftedClock();
        // Deliveries off: the cursor stays where it is, as a receiver that is down holds it.
        await using var app = await WebhookDisableTests.StartAsync(data, clock, new Dictionary<string, string?> { ["Webhooks:Deliver"] = "false" });
        using var created = await app.Client.PostAsync("/v1/webhooks", Variants.Json("""{"url":"http://127.0.0.1:9/hook"}"""));
        var id = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;

        await app.PostEventsAsync(Timelines.AtRisk("acme", DateTimeOffset.UtcNow));
        await app.WaitForProcessingAsync();
        var acme = (await app.BriefsAsync("&status=delivered")).Select(b => b.GetProperty("id").GetString()!).Reverse().ToList();
        Assert.NotEmpty(acme);
        var firstAt = (await app.GetJsonAsync($"/v1/audit?subject=brief:{acme[0]}")).GetProperty("items").EnumerateArray()
            .Single(r => r.GetProperty("action").GetString() == "brief.created").GetProperty("at").GetDateTimeOffset();

        // More audit records than a count reads, then more changes for the subscription past them.
        var audit = app.Services.GetRequiredService<AgentCrm.Audit.AuditLog>();
        await app.Services.GetRequiredService<AgentCrm.Storage.SqliteWriter>().WriteAsync(ctx =>
        {
            for (var i = 0; i < WebhookStore.BacklogScanCap + 500; i++)
                audit.Append(ctx, "test", "test.filler", $"test:{i}", new Dictionary<string, object?>(), clock.GetUtcNow());
        });
        await app.PostEventsAsync(Timelines.AtRisk("globex", DateTimeOffset.UtcNow));
        await app.WaitForProcessingAsync();
        var all = (await app.BriefsAsync("&status=delivered")).Count;
        Assert.True(all > acme.Count, $"{all} delivered briefs, {acme.Count} of acme");

        var state = await app.GetJsonAsync($"/v1/webhooks/{id}");
        // The count stops at the cap (globex's changes are past it); the oldest change is acme's first, and every record is behind.
        Assert.Equal(acme.Count, state.GetProperty("backlog").GetInt64());
        Assert.Equal(firstAt, state.GetProperty("oldestPendingAt").GetDateTimeOffset());
        Assert.True(state.GetProperty("behind").GetInt64() > WebhookStore.BacklogScanCap + 500, state.ToString());

        var before = Prometheus.Parse(await app.Client.GetStringAsync("/metrics"));
        clock.Shift = TimeSpan.FromHours(1);
        var label = ("webhook", id);
        // The exporter answers a scrape from its cache for a moment: scraped until the shifted clock shows.
        Prometheus after;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((after = Prometheus.Parse(await app.Client.GetStringAsync("/metrics"))).Sum("agentcrm_webhooks_oldest_pending_age_seconds", label)
            < before.Sum("agentcrm_webhooks_oldest_pending_age_seconds", label) + 3600 && DateTime.UtcNow < deadline)
            await Task.Delay(100);
        Assert.Equal(before.Sum("agentcrm_webhooks_backlog", label), after.Sum("agentcrm_webhooks_backlog", label));
        var (ageBefore, ageAfter) = (before.Sum("agentcrm_webhooks_oldest_pending_age_seconds", label), after.Sum("agentcrm_webhooks_oldest_pending_age_seconds", label));
        Assert.True(ageBefore >= 0 && ageAfter >= ageBefore + 3600, $"oldest pending age {ageBefore} s, then {ageAfter} s an hour later");
        Assert.True(after.Sum("agentcrm_webhooks_audit_records_behind", label) > WebhookStore.BacklogScanCap + 500);
    }
}
