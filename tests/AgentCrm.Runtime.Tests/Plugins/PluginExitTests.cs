using System.Net;
using System.Net.Http.Headers;
using System.Text;
using AgentCrm.Runtime.Tests.EndToEnd;

namespace AgentCrm.Runtime.Tests.Plugins;

/// <summary>The real `agentcrm serve` process ends once its host has stopped, whatever threads a plugin left running.</summary>
public sealed class PluginExitTests
{
    private static readonly string PluginPath = Path.Combine(AppContext.BaseDirectory, "plugins", "AgentCrm.SamplePlugin.dll");

    [Fact]
    public async Task Serve_APluginCallingEnvironmentExit_LogsItsVersionCustomerAndHowToUnregisterIt()
    {
        var data = TempDirectory.Create();
        using var server = await ServerProcess.StartAsync(data);
        using var client = server.CreateClient();
        await ShadowPluginAndSendATicketAsync(client, "exiter", "exit", "exit-victim");

        Assert.Equal(43, await server.ExitCodeAsync(TimeSpan.FromSeconds(60)));

        // Before, the last line was "Plugin assembly sha256:… loaded": nothing named the agent the way out needs.
        var log = string.Concat(Directory.GetFiles(data, "server-*.log").Select(File.ReadAllText));
        Assert.Contains("The process is exiting while plugin exiter@1.0.0 runs for customer exit-victim", log, StringComparison.Ordinal);
        Assert.Contains($"agentcrm agents unregister exiter --data {data}", log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_SigtermWithAPluginsForegroundThreadRunning_ExitsWithItsCode()
    {
        var data = TempDirectory.Create();
        using var server = await ServerProcess.StartAsync(data);
        using var client = server.CreateClient();
        await ShadowPluginAndSendATicketAsync(client, "spawner", "thread", "spawned");
        // The plugin has run (and started its thread) once its health counts the call.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (System.Text.Json.JsonDocument.Parse(await client.GetStringAsync("/v1/agents/spawner/health")).RootElement.GetProperty("versions")[0].GetProperty("evaluations").GetInt64() == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "Expected spawner@1.0.0 to be called within 60 s.");
            await Task.Delay(100);
        }

        server.Terminate();

        // Without an exit once the host has stopped, the plugin's foreground thread kept the process alive for good.
        Assert.Equal(0, await server.ExitCodeAsync(TimeSpan.FromSeconds(60)));
    }

    /// <summary>Uploads the sample plugin's misbehaving kind as ID@1.0.0 in MODE, runs it in shadow, and sends CUSTOMER one ticket it assesses.</summary>
    private static async Task ShadowPluginAndSendATicketAsync(HttpClient client, string id, string mode, string customer)
    {
        using (var form = new MultipartFormDataContent())
        {
            var dll = new ByteArrayContent(File.ReadAllBytes(PluginPath));
            dll.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            form.Add(dll, "assembly", "AgentCrm.SamplePlugin.dll");
            form.Add(new StringContent($$$"""
                {"id":"{{{id}}}","version":"1.0.0","kind":"plugin","scenario":"test","subscribes":["support_ticket"],
                 "reads":["tickets.open"],"purpose":"customer-success","threshold":0.5,"parameters":{"kind":"misbehaving","mode":"{{{mode}}}"}}
                """, Encoding.UTF8, "application/json"), "manifest", "manifest.json");
            using var uploaded = await client.PostAsync("/v1/agents/plugins", form);
            Assert.True(uploaded.StatusCode == HttpStatusCode.Created, await uploaded.Content.ReadAsStringAsync());
        }
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"/v1/agents/{id}/versions/1.0.0/shadow", null)).StatusCode);
        using var posted = await client.PostAsync("/v1/events", new StringContent(
            new System.Text.Json.Nodes.JsonArray(Ev.Make(customer, "support_ticket", DateTimeOffset.UtcNow, new { ticketId = "T1", status = "open" })).ToJsonString(), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Accepted, posted.StatusCode);
    }
}
