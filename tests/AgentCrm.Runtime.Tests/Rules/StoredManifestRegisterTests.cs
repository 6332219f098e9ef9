using System.Net;
using System.Text;
using System.Text.Json;
using AgentCrm.Agents;

namespace AgentCrm.Runtime.Tests.Rules;

/// <summary>
/// A deploy re-applies the manifests it stored: one registered by an earlier build, under rules added since, answers 200
/// unchanged (it answered 400), while a new version with the same faults is refused by those rules.
/// </summary>
public sealed class StoredManifestRegisterTests
{
    /// <summary>A manifest an earlier build registered: a mistyped field, a description over today's limit, a maxSteps below its condition's size.</summary>
    private static string Manifest(string version) => JsonSerializer.Serialize(new
    {
        id = "stored-earlier", version, kind = "rules", scenario = "test", subscribes = new[] { "support_ticket" },
        reads = new[] { "tickets.open", "tickets.opne" }, purpose = "customer-success", threshold = 0.5,
        description = new string('d', ManifestLimits.MaxDescriptionLength + 1),
        rules = new { maxSteps = 1, conditions = new[] { new { name = "many", when = "tickets.open > 3 or tickets.opne > 3", weight = 1 } } },
    });

    [Fact]
    public async Task Register_SameManifestStoredByAnEarlierBuild_Is200Unchanged_ANewVersionWithItsFaultsIs400()
    {
        var dir = TempDirectory.Create();
        await (await AgentCrmApp.StartAsync(dir)).DisposeAsync();
        var stored = Manifest("1.0.0");
        var manifest = JsonSerializer.Deserialize<AgentManifest>(stored, ManifestReader.Json)!;
        // The row as an earlier build stored it: no check of today's refused it.
        StoredVersions.InsertAsEarlierBuild(dir, manifest, "registered");
        await using var app = await AgentCrmApp.StartAsync(dir);

        using var again = await app.Client.PostAsync("/v1/agents", new StringContent(stored, Encoding.UTF8, "application/json"));
        var body = await again.Content.ReadAsStringAsync();
        Assert.True(again.StatusCode == HttpStatusCode.OK, $"{(int)again.StatusCode} {body}");
        Assert.Equal(ManifestReader.ContentHash(manifest), JsonDocument.Parse(body).RootElement.GetProperty("contentHash").GetString());

        using var next = await app.Client.PostAsync("/v1/agents", new StringContent(Manifest("1.0.1"), Encoding.UTF8, "application/json"));
        var errors = (await next.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors");
        Assert.True(errors.TryGetProperty("description", out _), errors.ToString());
        Assert.Equal(HttpStatusCode.NotFound, (await app.Client.GetAsync("/v1/agents/stored-earlier/versions/1.0.1")).StatusCode);
    }

    [Fact]
    public async Task Register_ANewVersionWithinTheLimits_ButWithTheKindsNewFaults_Is400NamingThem()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var json = Manifest("2.0.0").Replace(new string('d', ManifestLimits.MaxDescriptionLength + 1), "short", StringComparison.Ordinal);

        using var response = await app.Client.PostAsync("/v1/agents", new StringContent(json, Encoding.UTF8, "application/json"));

        var errors = (await response.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors");
        Assert.True(errors.TryGetProperty("reads[1]", out _), errors.ToString());
        Assert.True(errors.TryGetProperty("rules.maxSteps", out _), errors.ToString());
    }
}
