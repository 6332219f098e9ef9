using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using AgentCrm.Runtime.Tests.Server;

namespace AgentCrm.Runtime.Tests.Demo;

/// <summary>The README's first command, `agentcrm --demo`, as a user runs it: twice on the same data directory.</summary>
public sealed partial class DemoCommandTests
{
    [Fact]
    public async Task Demo_StartedTwice_StoresNothingTwice_ReplacesItsKeys_AndKeepsTheCsmsIdentityAndResponses()
    {
        var dir = TempDirectory.Create();
        string firstOps;
        string acknowledged;
        using (var first = ServeProcess.Start(dir, [], "--demo"))
        {
            await first.WaitForOutputAsync("Press Ctrl+C to stop.");
            Assert.Matches(@"Demo: fed \d+ events for 40 customers \(\d+ new, 0 already stored\); \d+ briefs so far\.", first.Stdout);
            var keys = Keys(first.Stdout);
            firstOps = keys["ops"];
            using var csm = Client(first.Address, keys["csm"]);
            var me = await csm.GetFromJsonAsync<JsonElement>("/v1/me");
            Assert.Equal(("demo-csm", "csm", 10), (me.GetProperty("name").GetString(), me.GetProperty("role").GetString(), me.GetProperty("accounts").GetArrayLength()));
            // The demo writes briefs for the CSM's accounts; the CSM acknowledges the newest.
            var briefs = (await csm.GetFromJsonAsync<JsonElement>("/v1/briefs?limit=5")).GetProperty("items");
            Assert.True(briefs.GetArrayLength() > 0, first.Stdout);
            acknowledged = briefs[0].GetProperty("id").GetString()!;
            Assert.Equal(HttpStatusCode.OK, (await csm.PostAsync($"/v1/briefs/{acknowledged}/acknowledge", null)).StatusCode);
            first.Signal(15);
            Assert.Equal(0, await first.WaitForExitAsync());
        }

        using var second = ServeProcess.Start(dir, [], "--demo");
        await second.WaitForOutputAsync("Press Ctrl+C to stop.");
        Assert.Matches(@"Demo: fed (\d+) events for 40 customers \(0 new, \1 already stored\)", second.Stdout);
        var again = Keys(second.Stdout);
        using (var old = Client(second.Address, firstOps))
            Assert.Equal(HttpStatusCode.Unauthorized, (await old.GetAsync("/v1/agents")).StatusCode);
        using var csmAgain = Client(second.Address, again["csm"]);
        Assert.Equal("demo-csm", (await csmAgain.GetFromJsonAsync<JsonElement>("/v1/me")).GetProperty("name").GetString());
        // The same CSM: what it acknowledged before the restart is still its own.
        var inbox = (await csmAgain.GetFromJsonAsync<JsonElement>("/v1/briefs?acknowledged=true")).GetProperty("items");
        Assert.Contains(inbox.EnumerateArray(), b => b.GetProperty("id").GetString() == acknowledged);
        using var ops = Client(second.Address, again["ops"]);
        Assert.Equal(HttpStatusCode.OK, (await ops.GetAsync("/v1/agents")).StatusCode);
    }

    private static Dictionary<string, string> Keys(string stdout) =>
        KeyLine().Matches(stdout).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);

    private static HttpClient Client(Uri address, string key)
    {
        var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Add("X-Api-Key", key);
        return http;
    }

    [GeneratedRegex(@"^  (admin|ops|csm|reviewer|integrator|metrics)\s+(acrm_\S+)$", RegexOptions.Multiline)]
    private static partial Regex KeyLine();
}
