using System.Net;
using System.Text.Json;
using AgentCrm.Runtime.Tests.Cli;
using AgentCrm.Sandbox;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Sandbox;

/// <summary>Case sets are held to Sandbox:MaxCaseSetBytes over HTTP and in the CLI alike, and only Sandbox:ParsedCasesKept cases stay parsed.</summary>
public sealed class CaseSetLimitTests
{
    private static readonly DateTimeOffset Cutoff = DateTimeOffset.UtcNow.AddDays(-1);

    [Fact]
    public async Task AddAndEvaluateUpload_LargerThanTheSetting_Answer413NamingIt_AndStoreNothing()
    {
        var (ndjson, labels) = CaseFiles.Timeline(60, Cutoff);
        var bytes = ndjson.Length + labels.Length;
        await using var app = await AgentCrmApp.StartAsync(settings: new Dictionary<string, string?> { ["Sandbox:MaxCaseSetBytes"] = (bytes - 1).ToString(System.Globalization.CultureInfo.InvariantCulture) });

        using var added = await app.Client.PostAsync("/v1/cases/too-big", CaseFiles.Upload(ndjson, labels));
        using var evaluated = await app.Client.PostAsync("/v1/agents/renewal-risk/versions/1.0.1/evaluate", CaseFiles.Upload(ndjson, labels));

        foreach (var response in new[] { added, evaluated })
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.RequestEntityTooLarge, body);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains("Sandbox:MaxCaseSetBytes", body, StringComparison.Ordinal);
            Assert.Contains($"{bytes} bytes", body, StringComparison.Ordinal);
        }
        var names = JsonDocument.Parse(await app.Client.GetStringAsync("/v1/cases?limit=500")).RootElement.GetProperty("items").EnumerateArray().Select(s => s.GetProperty("name").GetString()).ToList();
        Assert.DoesNotContain("too-big", names);
        Assert.DoesNotContain(names, n => n!.StartsWith("upload:", StringComparison.Ordinal));

        // At the limit it is stored.
        var (small, smallLabels) = CaseFiles.Timeline(30, Cutoff);
        using var fits = await app.Client.PostAsync("/v1/cases/fits", CaseFiles.Upload(small, smallLabels));
        Assert.Equal(HttpStatusCode.Created, fits.StatusCode);
    }

    [Fact]
    public async Task CliCasesAdd_LargerThanTheSetting_FailsWithOneLine_ExitOne_AndStoresNothing()
    {
        var dir = TempDirectory.Create();
        var files = TempDirectory.Create();
        var (ndjson, labels) = CaseFiles.Timeline(60, Cutoff);
        var events = Path.Combine(files, "events.ndjson");
        var labelsFile = Path.Combine(files, "labels.csv");
        await File.WriteAllTextAsync(events, ndjson);
        await File.WriteAllTextAsync(labelsFile, labels);
        var environment = new Dictionary<string, string> { ["Sandbox__MaxCaseSetBytes"] = "4096" };

        var refused = await CliRunner.RunAsync(["cases", "add", "too-big", events, "--labels", labelsFile, "--data", dir], environment);

        Assert.Equal(1, refused.ExitCode);
        Assert.Single(refused.Stderr.TrimEnd().Split('\n'));
        Assert.StartsWith("agentcrm: events.ndjson: the case set is ", refused.Stderr, StringComparison.Ordinal);
        Assert.Contains("at most 4096 bytes (Sandbox:MaxCaseSetBytes)", refused.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", refused.Stderr, StringComparison.Ordinal);
        var list = await CliRunner.RunAsync(["cases", "list", "--data", dir]);
        Assert.Equal(0, list.ExitCode);
        Assert.DoesNotContain("too-big", list.Stdout, StringComparison.Ordinal);

        var accepted = await CliRunner.RunAsync(["cases", "add", "fits", events, "--labels", labelsFile, "--data", dir], new Dictionary<string, string> { ["Sandbox__MaxCaseSetBytes"] = "1000000" });
        Assert.True(accepted.ExitCode == 0, accepted.Stderr);
    }

    [Fact]
    public async Task ABadSetting_StopsTheStart_NamingTheKey()
    {
        var failed = await Assert.ThrowsAnyAsync<Exception>(() => AgentCrmApp.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Sandbox:MaxCaseSetBytes"] = "10",
            ["Sandbox:ParsedCasesKept"] = "-1",
        }));
        Assert.Contains("Sandbox:MaxCaseSetBytes", failed.Message, StringComparison.Ordinal);
        Assert.Contains("Sandbox:ParsedCasesKept", failed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UploadedSets_StayParsedOnlyUpToTheSetting_LeastRecentlyUsedDropped_AndAllStillEvaluate()
    {
        await using var app = await AgentCrmApp.StartAsync(settings: new Dictionary<string, string?> { ["Sandbox:ParsedCasesKept"] = "500" });
        var store = app.Services.GetRequiredService<CaseSetStore>();
        foreach (var (name, customers) in new[] { ("set-a", 240), ("set-b", 210), ("set-c", 180) })
        {
            var (ndjson, labels) = CaseFiles.Timeline(customers, Cutoff);
            using var added = await app.Client.PostAsync($"/v1/cases/{name}", CaseFiles.Upload(ndjson, labels));
            Assert.Equal(HttpStatusCode.Created, added.StatusCode);
            Assert.True(store.ParsedCasesKept <= 500, $"{store.ParsedCasesKept} cases kept parsed after {name}");
        }
        // 240 + 210 + 180 > 500: set-a, the least recently used, was dropped; b and c stay.
        Assert.Equal(390, store.ParsedCasesKept);

        // Dropped is not lost: a dropped set is parsed again on use.
        Assert.Equal(240, store.Load("set-a")!.Cases.Count);
        Assert.True(store.ParsedCasesKept <= 500, $"{store.ParsedCasesKept} cases kept parsed");
        var report = await app.EvaluateAsync("renewal-risk", "1.0.1", "set-b");
        Assert.Equal(210, report.GetProperty("cases").GetInt32());

        // A set larger than the whole allowance is parsed for its use and not kept.
        var (big, bigLabels) = CaseFiles.Timeline(600, Cutoff);
        using var bigAdded = await app.Client.PostAsync("/v1/cases/set-big", CaseFiles.Upload(big, bigLabels));
        Assert.Equal(HttpStatusCode.Created, bigAdded.StatusCode);
        Assert.True(store.ParsedCasesKept <= 500, $"{store.ParsedCasesKept} cases kept parsed");
        Assert.Equal(600, (await app.EvaluateAsync("renewal-risk", "1.0.1", "set-big")).GetProperty("cases").GetInt32());
        Assert.True(store.ParsedCasesKept <= 500, $"{store.ParsedCasesKept} cases kept parsed");
    }
}
