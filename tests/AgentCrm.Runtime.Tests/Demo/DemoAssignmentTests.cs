using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using AgentCrm.Runtime.Tests.Server;

namespace AgentCrm.Runtime.Tests.Demo;

/// <summary>
/// `--demo` assigned demo-csm its ten accounts on every start, undoing what an admin had assigned it since; the README says
/// the CSM stays demo-csm "with its accounts" (QA pass on 22c20cb). A later start's summary, text and --json, then printed the
/// first start's ten accounts (qa39a #3): it prints what the CSM has.
/// </summary>
public sealed partial class DemoAssignmentTests
{
    [Fact]
    public async Task Demo_RestartedAfterAnAdminChangedDemoCsmsAccounts_KeepsTheAdminsAssignment()
    {
        var dir = TempDirectory.Create();
        using (var first = ServeProcess.Start(dir, [], "--demo"))
        {
            await first.WaitForOutputAsync("Press Ctrl+C to stop.");
            var keys = Keys(first.Stdout);
            Assert.Contains("the csm key (CSM demo-csm) sees its 10 accounts, demo-01 to demo-10, only:", first.Stdout, StringComparison.Ordinal);
            using var csm = Client(first.Address, keys["csm"]);
            Assert.Equal(10, (await csm.GetFromJsonAsync<JsonElement>("/v1/me")).GetProperty("accounts").GetArrayLength());
            using var admin = Client(first.Address, keys["admin"]);
            using var put = await admin.PutAsync("/v1/csms/demo-csm/accounts", new StringContent("""{"accounts":["demo-03","demo-12"]}""", Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
            first.Signal(15);
            Assert.Equal(0, await first.WaitForExitAsync());
        }

        using (var second = ServeProcess.Start(dir, [], "--demo"))
        {
            await second.WaitForOutputAsync("Press Ctrl+C to stop.");
            using var csmAgain = Client(second.Address, Keys(second.Stdout)["csm"]);
            var accounts = (await csmAgain.GetFromJsonAsync<JsonElement>("/v1/me")).GetProperty("accounts").EnumerateArray().Select(a => a.GetString()).ToList();
            Assert.Equal(new List<string?> { "demo-03", "demo-12" }, accounts);
            // The summary says what the csm key sees now, and its customer example is one of them.
            Assert.Contains("the csm key (CSM demo-csm) sees its accounts demo-03 and demo-12 only:", second.Stdout, StringComparison.Ordinal);
            Assert.Contains("/v1/customers/demo-03\n", second.Stdout + "\n", StringComparison.Ordinal);
            second.Signal(15);
            Assert.Equal(0, await second.WaitForExitAsync());
        }

        using var json = ServeProcess.Start(dir, [], "--demo", "--json");
        await json.WaitForOutputAsync("\"demo\":");
        var summary = json.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).Single(l => l.TryGetProperty("demo", out _));
        Assert.Equal(["demo-03", "demo-12"], summary.GetProperty("demo").GetProperty("csmAccounts").EnumerateArray().Select(a => a.GetString()));
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
