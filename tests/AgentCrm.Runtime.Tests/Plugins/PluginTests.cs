using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AgentCrm.Agents.Plugins;
using AgentCrm.Runtime.Tests.EndToEnd;
using AgentCrm.Runtime.Tests.Sandbox;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Plugins;

public sealed class PluginTests
{
    internal static readonly string PluginPath = Path.Combine(AppContext.BaseDirectory, "plugins", "AgentCrm.SamplePlugin.dll");

    internal static string TicketSurge(string id = "ticket-surge", string version = "1.0.0") => $"""
        id: {id}
        version: {version}
        kind: plugin
        scenario: support-escalation
        subscribes: [support_ticket]
        reads: [profile.name, tickets.open, tickets.openHighPriority]
        purpose: customer-success
        threshold: 0.6
        parameters:
          kind: ticket-surge
          minOpen: 2
        """;

    private static string Misbehaving(string id, string mode) => $$$"""
        {"id":"{{{id}}}","version":"1.0.0","kind":"plugin","scenario":"test","subscribes":["support_ticket","nps"],
         "reads":["tickets.open"],"purpose":"customer-success","threshold":0.5,
         "parameters":{"kind":"misbehaving","mode":"{{{mode}}}","hangMs":1500}}
        """;

    internal static async Task<(HttpStatusCode Status, JsonElement Body)> UploadAsync(AgentCrmApp app, string manifest, byte[]? assembly = null, string manifestName = "manifest.yaml")
    {
        using var form = new MultipartFormDataContent();
        var dll = new ByteArrayContent(assembly ?? File.ReadAllBytes(PluginPath));
        dll.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(dll, "assembly", "AgentCrm.SamplePlugin.dll");
        form.Add(new StringContent(manifest, Encoding.UTF8, "application/yaml"), "manifest", manifestName);
        using var response = await app.Client.PostAsync("/v1/agents/plugins", form);
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    private static async Task<AgentCrmApp> StartWithCasesAsync(string? dataDirectory = null, Dictionary<string, string?>? settings = null)
    {
        var app = await AgentCrmApp.StartAsync(dataDirectory, settings);
        var (ndjson, labels) = CaseFiles.Timeline(240, DateTimeOffset.UtcNow.AddDays(-1));
        var added = await app.Client.PostAsync("/v1/cases/hand-timeline", CaseFiles.Upload(ndjson, labels));
        Assert.True(added.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, await added.Content.ReadAsStringAsync());
        return app;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference Watch(AgentCrmApp app, string hash) =>
        app.Services.GetRequiredService<PluginKind>().Watch(hash) ?? throw new InvalidOperationException($"Expected the load context of {hash} to be loaded.");

    [Fact]
    public async Task Plugin_Upload_PassesGate_Briefs_Unregister_LoadContextIsCollected()
    {
        await using var app = await StartWithCasesAsync();
        var (status, body) = await UploadAsync(app, TicketSurge());
        Assert.True(status == HttpStatusCode.Created, body.ToString());
        var hash = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(PluginPath)));
        Assert.False(body.TryGetProperty("manifest", out _), "the upload answered the manifest; its version's address gives it");
        Assert.Equal(hash, (await app.GetJsonAsync("/v1/agents/ticket-surge/versions/1.0.0")).GetProperty("manifest").GetProperty("parameters").GetProperty("assembly").GetString());
        Assert.Equal("plugin", body.GetProperty("kind").GetString());
        Assert.Equal("registered", body.GetProperty("state").GetString());

        // The same upload again is the same version; the gate refuses promotion without a report.
        Assert.Equal(HttpStatusCode.OK, (await UploadAsync(app, TicketSurge())).Status);
        Assert.Equal(HttpStatusCode.Conflict, (await app.Client.PostAsync("/v1/agents/ticket-surge/versions/1.0.0/promote", new StringContent("{}", Encoding.UTF8, "application/json"))).StatusCode);

        var report = await app.EvaluateAsync("ticket-surge", "1.0.0", "hand-timeline");
        Assert.True(report.GetProperty("passed").GetBoolean(), report.ToString());
        Assert.Equal(0, report.GetProperty("errors").GetInt32());
        await app.EvaluateAndPromoteAsync("ticket-surge", "1.0.0", "hand-timeline");

        var now = DateTimeOffset.UtcNow;
        await app.PostEventsAsync(Timelines.AtRisk("plug-1", now));
        await app.PostEventsAsync(Timelines.Healthy("plug-2", now));
        await app.WaitForProcessingAsync();
        var brief = Assert.Single(await app.BriefsAsync("&agentId=ticket-surge"));
        Assert.Equal("plug-1", brief.GetProperty("customerId").GetString());
        Assert.Contains(brief.GetProperty("reasons").EnumerateArray(), r => r.GetProperty("explanation").GetString() == "2 open tickets");

        var context = Watch(app, hash);
        Assert.True(context.IsAlive);
        Assert.Equal(HttpStatusCode.OK, (await app.Client.DeleteAsync("/v1/agents/ticket-surge")).StatusCode);
        Assert.DoesNotContain(hash, app.Services.GetRequiredService<PluginKind>().Loaded);
        // Generous (a call or turn still finishing on a busy machine holds it a moment); a leak holds it for good.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (context.IsAlive && DateTime.UtcNow < deadline)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            await Task.Delay(20);
        }
        Assert.False(context.IsAlive, "Expected the plugin's load context to be collected within 30 s of the unregister.");

        await app.PostEventsAsync(Timelines.AtRisk("plug-3", now));
        await app.WaitForProcessingAsync();
        Assert.Empty(await app.BriefsAsync("&agentId=ticket-surge&customerId=plug-3"));
    }

    [Fact]
    public async Task Plugin_SurvivesRestart_LoadedFromTheDataDirectory()
    {
        var data = TempDirectory.Create();
        await using (var first = await AgentCrmApp.StartAsync(data))
        {
            var (status, body) = await UploadAsync(first, TicketSurge());
            Assert.True(status == HttpStatusCode.Created, body.ToString());
            Assert.Equal(HttpStatusCode.OK, (await first.Client.PostAsync("/v1/agents/ticket-surge/versions/1.0.0/shadow", null)).StatusCode);
        }
        await using var second = await AgentCrmApp.StartAsync(data);
        Assert.Equal("shadow", (await second.GetJsonAsync("/v1/agents/ticket-surge")).GetProperty("versions")[0].GetProperty("state").GetString());
        await second.PostEventsAsync(Timelines.AtRisk("after-restart", DateTimeOffset.UtcNow));
        await second.WaitForProcessingAsync();
        var shadow = Assert.Single(await second.BriefsAsync("&status=shadow&agentId=ticket-surge"));
        Assert.Equal("after-restart", shadow.GetProperty("customerId").GetString());
    }

    [Fact]
    public async Task ThrowingAndHangingPlugins_AreContained_CountedInHealth_TheActorKeepsBriefing()
    {
        await using var app = await AgentCrmApp.StartAsync(settings: new Dictionary<string, string?> { ["Plugins:CallTimeout"] = "00:00:00.200" });
        foreach (var (id, mode) in new[] { ("thrower", "throw"), ("hanger", "hang") })
        {
            var (status, body) = await UploadAsync(app, Misbehaving(id, mode), manifestName: "manifest.json");
            Assert.True(status == HttpStatusCode.Created, body.ToString());
            Assert.Equal(HttpStatusCode.OK, (await app.Client.PostAsync($"/v1/agents/{id}/versions/1.0.0/shadow", null)).StatusCode);
        }

        await app.PostEventsAsync(Timelines.AtRisk("victim", DateTimeOffset.UtcNow));
        await app.WaitForProcessingAsync();

        // Two tickets and one NPS reach each plugin: three failures each, no assessment.
        foreach (var id in new[] { "thrower", "hanger" })
        {
            var v = (await app.GetJsonAsync($"/v1/agents/{id}/health")).GetProperty("versions")[0];
            Assert.Equal(3, v.GetProperty("errors").GetInt64());
            Assert.Equal(0, v.GetProperty("evaluations").GetInt64());
        }
        // The same turns went on: the built-in agent briefed, every event was applied.
        Assert.NotEmpty(await app.BriefsAsync("&agentId=renewal-risk&customerId=victim"));
        Assert.Equal(Timelines.AtRisk("x", DateTimeOffset.UtcNow).Count, await app.CustomerFieldAsync("victim", "events.total"));
    }

    [Fact]
    public async Task APluginThatThrowsOnEveryCall_IsLoggedOncePerInterval_NamingVersionCustomerAndEvent()
    {
        var logs = new AgentCrm.Runtime.Tests.Intake.CapturedLogs();
        await using var app = await AgentCrmApp.StartAsync(configure: s => s.AddSingleton(logs.Provider()));
        var (status, body) = await UploadAsync(app, Misbehaving("noisy-thrower", "throw"), manifestName: "manifest.json");
        Assert.True(status == HttpStatusCode.Created, body.ToString());
        Assert.Equal(HttpStatusCode.OK, (await app.Client.PostAsync("/v1/agents/noisy-thrower/versions/1.0.0/shadow", null)).StatusCode);

        // 40 customers, one ticket each: 40 failed calls within a few seconds.
        var now = DateTimeOffset.UtcNow.AddMinutes(-5);
        var events = Enumerable.Range(0, 40).Select(i => Ev.Make($"noisy-{i}", "support_ticket", now, new { ticketId = $"T{i}", status = "open" }, id: $"noisy-ev-{i}")).ToList();
        Assert.Equal(HttpStatusCode.Accepted, (await app.PostEventsAsync(events)).StatusCode);
        await app.WaitForProcessingAsync();

        var v = (await app.GetJsonAsync("/v1/agents/noisy-thrower/health")).GetProperty("versions")[0];
        Assert.Equal(40, v.GetProperty("errors").GetInt64());
        // One line with its stack trace, not forty: it names the version, the customer and the event it failed on.
        var logged = logs.Entries.Where(e => e.Message.StartsWith("Agent noisy-thrower@1.0.0 failed", StringComparison.Ordinal)).ToList();
        var line = Assert.Single(logged);
        Assert.NotNull(line.Exception);
        Assert.Matches(@"failed on customer noisy-(\d+) at noisy-ev-\1;", line.Message);
        // The plugin's own frames, not only the runtime's that rethrew its failure.
        Assert.Contains("AgentCrm.SamplePlugin.MisbehavingAgent.Assess", line.Exception.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PluginAgent_SeesOnlyTheRegisteredReads_WhateverManifestItReports_AndNoAgentIs400()
    {
        await using var app = await AgentCrmApp.StartAsync();
        // Create returning null: refused with its reason, not a 500, and the context is released.
        var (status, body) = await UploadAsync(app, Misbehaving("nothing", "null"), manifestName: "manifest.json");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("misbehaving.Create returned no agent.", body.GetProperty("errors").GetProperty("assembly")[0].GetString());
        Assert.Empty(app.Services.GetRequiredService<PluginKind>().Loaded);

        // An agent that reports a manifest reading more: the consent gate still passes only the registered reads.
        (status, body) = await UploadAsync(app, Misbehaving("widener", "widen"), manifestName: "manifest.json");
        Assert.True(status == HttpStatusCode.Created, body.ToString());
        Assert.Equal(HttpStatusCode.OK, (await app.Client.PostAsync("/v1/agents/widener/versions/1.0.0/shadow", null)).StatusCode);
        await app.PostEventsAsync(Timelines.AtRisk("wide", DateTimeOffset.UtcNow));
        await app.WaitForProcessingAsync();
        var briefs = await app.BriefsAsync("&status=shadow&agentId=widener");
        Assert.NotEmpty(briefs);
        foreach (var brief in briefs)
        {
            Assert.Equal(["tickets.open"], brief.GetProperty("reasons").EnumerateArray().Select(r => r.GetProperty("field").GetString()));
            Assert.Equal(["tickets.open"], brief.GetProperty("inputs").EnumerateObject().Select(p => p.Name));
            Assert.Equal(0.5, brief.GetProperty("threshold").GetDouble());
        }
    }

    [Fact]
    public async Task Start_ForgetsStoredAssembliesNoVersionNames_KeepsTheRegisteredOnes()
    {
        var data = TempDirectory.Create();
        await using (var first = await AgentCrmApp.StartAsync(data))
        {
            var (status, body) = await UploadAsync(first, TicketSurge());
            Assert.True(status == HttpStatusCode.Created, body.ToString());
        }
        // What an upload refused after its bytes were stored leaves behind (e.g. 409: the version exists with other content).
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(data, "agentcrm.db")};Pooling=False"))
        {
            connection.Open();
            using var cmd = connection.CreateCommand();
            cmd.CommandText = "INSERT INTO agent_plugins (hash, bytes, size, file_name, created_at) VALUES ('sha256:orphan', x'00', 1, 'refused.dll', '2026-12-04T00:00:00Z')";
            cmd.ExecuteNonQuery();
        }

        await using var second = await AgentCrmApp.StartAsync(data);
        var stored = second.Services.GetRequiredService<PluginStore>();
        Assert.Null(stored.Load("sha256:orphan"));
        var listed = (await second.GetJsonAsync("/v1/agents/ticket-surge")).GetProperty("versions")[0].GetProperty("version").GetString();
        var version = await second.GetJsonAsync($"/v1/agents/ticket-surge/versions/{listed}");
        Assert.NotNull(stored.Load(version.GetProperty("manifest").GetProperty("parameters").GetProperty("assembly").GetString()!));
    }

    [Fact]
    public async Task Upload_ReferencingAnAssemblyTheServerLacks_Is400NamingIt_NothingRegistered()
    {
        await using var app = await AgentCrmApp.StartAsync();
        // The sample with its System.Linq reference renamed to an assembly no one has: its types still load (LINQ is
        // only called inside methods), so without the check it registered and then failed on every call.
        var bytes = File.ReadAllBytes(PluginPath);
        var from = Encoding.ASCII.GetBytes("System.Linq\0");
        var at = bytes.AsSpan().IndexOf(from);
        Assert.True(at >= 0);
        Encoding.ASCII.GetBytes("System.Linx\0").CopyTo(bytes, at);
        Assert.True(bytes.AsSpan().IndexOf(from) < 0);

        var (status, body) = await UploadAsync(app, Misbehaving("dependent", "throw"), bytes, "manifest.json");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.StartsWith("AgentCrm.SamplePlugin references System.Linx ", body.GetProperty("errors").GetProperty("assembly")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Client.GetAsync("/v1/agents/dependent")).StatusCode);
        Assert.Empty(app.Services.GetRequiredService<PluginKind>().Loaded);
    }

    [Fact]
    public async Task Upload_ManifestPastTheAllowance_Is413_AsAFileAndAsAField()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var manifest = TicketSurge() + "\ndescription: " + new string('x', 1024 * 1024) + "\n";
        foreach (var asFile in new[] { true, false })
        {
            using var form = new MultipartFormDataContent();
            form.Add(new ByteArrayContent(File.ReadAllBytes(PluginPath)), "assembly", "AgentCrm.SamplePlugin.dll");
            if (asFile)
                form.Add(new StringContent(manifest, Encoding.UTF8, "application/yaml"), "manifest", "manifest.yaml");
            else
                form.Add(new StringContent(manifest, Encoding.UTF8), "manifest");
            using var response = await app.Client.PostAsync("/v1/agents/plugins", form);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        }
        Assert.Equal(HttpStatusCode.NotFound, (await app.Client.GetAsync("/v1/agents/ticket-surge")).StatusCode);
    }

    [Fact]
    public async Task RegisteringAPluginManifest_Refused_LeavesNothingLoaded()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var (status, uploaded) = await UploadAsync(app, TicketSurge());
        Assert.True(status == HttpStatusCode.Created, uploaded.ToString());
        var listed = (await app.GetJsonAsync("/v1/agents/ticket-surge")).GetProperty("versions")[0].GetProperty("version").GetString();
        var hash = (await app.GetJsonAsync($"/v1/agents/ticket-surge/versions/{listed}")).GetProperty("manifest").GetProperty("parameters").GetProperty("assembly").GetString();
        Assert.Equal(HttpStatusCode.OK, (await app.Client.DeleteAsync("/v1/agents/ticket-surge")).StatusCode);
        Assert.Empty(app.Services.GetRequiredService<PluginKind>().Loaded);

        // A manifest naming the stored assembly through the plain endpoint: loaded to be checked, refused by the plugin's kind.
        var refused = TicketSurge("ticket-surge", "2.0.0").Replace("minOpen: 2", $"minOpen: 0\n  assembly: \"{hash}\"", StringComparison.Ordinal);
        using var response = await app.Client.PostAsync("/v1/agents", new StringContent(refused, Encoding.UTF8, "application/yaml"));
        await response.ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Empty(app.Services.GetRequiredService<PluginKind>().Loaded);

        // The same manifest once more, of the retired version that exists: answered, and nothing left loaded either.
        using var again = await app.Client.PostAsync("/v1/agents", new StringContent(
            TicketSurge().Replace("minOpen: 2", $"minOpen: 2\n  assembly: \"{hash}\"", StringComparison.Ordinal), Encoding.UTF8, "application/yaml"));
        Assert.True(again.IsSuccessStatusCode, await again.Content.ReadAsStringAsync());
        Assert.Empty(app.Services.GetRequiredService<PluginKind>().Loaded);
    }

    [Fact]
    public async Task Upload_OfAnUnregisteredVersionAgain_AnswersItRetired_AndLeavesNothingLoaded()
    {
        await using var app = await AgentCrmApp.StartAsync();
        Assert.Equal(HttpStatusCode.Created, (await UploadAsync(app, TicketSurge())).Status);
        Assert.Equal(HttpStatusCode.OK, (await app.Client.DeleteAsync("/v1/agents/ticket-surge")).StatusCode);
        Assert.Empty(app.Services.GetRequiredService<PluginKind>().Loaded);

        var (status, body) = await UploadAsync(app, TicketSurge());
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("retired", body.GetProperty("state").GetString());
        Assert.Empty(app.Services.GetRequiredService<PluginKind>().Loaded);
    }

    [Fact]
    public async Task HungCalls_AreCountedPerVersion_SoANewInstanceOfIt_DoesNotTieUpMoreThreads()
    {
        await using var app = await AgentCrmApp.StartAsync(settings: new Dictionary<string, string?> { ["Plugins:CallTimeout"] = "00:00:00.100", ["Plugins:MaxHungCalls"] = "1" });
        var (status, body) = await UploadAsync(app, Misbehaving("hung-per-version", "hang"), manifestName: "manifest.json");
        Assert.True(status == HttpStatusCode.Created, body.ToString());
        var registry = app.Services.GetRequiredService<AgentCrm.Agents.AgentRegistry>();
        var record = registry.Find("hung-per-version", "1.0.0");
        var snapshot = new AgentCrm.Agents.CustomerSnapshot("c-1", DateTimeOffset.UtcNow, new Dictionary<string, AgentCrm.Agents.SnapshotField>());

        // One instance (as a sandbox job or a rebuilt live set makes) leaves a call hanging past its limit (1.5 s)... On a loaded
        // CI machine a plugin thread may not start within the 100 ms: that call is not made ("was not called") and hangs nothing,
        // so it is tried again until one runs and hangs.
        for (var attempt = 1; ; attempt++)
        {
            var timedOut = Assert.Throws<TimeoutException>(() => registry.CreateAgent(record).Assess(snapshot));
            if (timedOut.Message.Contains("did not answer", StringComparison.Ordinal))
                break;
            Assert.True(attempt < 50, timedOut.Message);
        }
        // ...so another instance of the same version fails at once instead of starting another call on another thread: made
        // (its plugin code runs in the version's places, all held now), or called.
        var error = Assert.ThrowsAny<Exception>(() => registry.CreateAgent(record).Assess(snapshot));
        Assert.True(error is PluginFailedException or AgentCrm.Agents.ManifestException, error.ToString());
        Assert.Contains("still running", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Upload_BadInput_Is400NamingThePart_NothingRegistered()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var (status, body) = await UploadAsync(app, TicketSurge(), assembly: Encoding.UTF8.GetBytes("not an assembly"));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.StartsWith("Not a .NET assembly", body.GetProperty("errors").GetProperty("assembly")[0].GetString(), StringComparison.Ordinal);

        (status, body) = await UploadAsync(app, TicketSurge().Replace("kind: plugin", "kind: rules", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.StartsWith("line 3: A plugin's manifest has kind: plugin", body.GetProperty("errors").GetProperty("kind")[0].GetString(), StringComparison.Ordinal);

        (status, body) = await UploadAsync(app, TicketSurge().Replace("minOpen: 2", "minOpen: 0", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("line 11: minOpen must be a number between 1 and 1000.", body.GetProperty("errors").GetProperty("parameters.minOpen")[0].GetString());

        (status, body) = await UploadAsync(app, TicketSurge().Replace("kind: ticket-surge", "kind: nothing-here", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("misbehaving", body.GetProperty("errors").GetProperty("parameters.kind")[0].GetString(), StringComparison.Ordinal);

        using var noParts = new MultipartFormDataContent { { new StringContent("x"), "other" } };
        var missing = await app.Client.PostAsync("/v1/agents/plugins", noParts);
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        var errors = JsonDocument.Parse(await missing.Content.ReadAsStringAsync()).RootElement.GetProperty("errors");
        Assert.True(errors.TryGetProperty("assembly", out _) && errors.TryGetProperty("manifest", out _), errors.ToString());

        Assert.Equal(HttpStatusCode.NotFound, (await app.Client.GetAsync("/v1/agents/ticket-surge")).StatusCode);
        Assert.Empty(app.Services.GetRequiredService<PluginKind>().Loaded);
    }

    /// <summary>
    /// A .NET assembly whose metadata is damaged (an invalid public key, an unreadable reference table) was answered 500 with
    /// a trace id: the loader threw SecurityException or BadImageFormatException where only the latter was caught (qa42b #2).
    /// </summary>
    [Theory]
    [InlineData("metadata-f69.dll")]
    [InlineData("metadata-rnd3.dll")]
    [InlineData("metadata-f126.dll")]
    [InlineData("metadata-f5.dll")]
    public async Task Upload_OfADamagedAssembly_Is400NamingTheAssembly_NothingRegistered(string file)
    {
        await using var app = await AgentCrmApp.StartAsync();
        var damaged = await File.ReadAllBytesAsync(Path.Combine(AppContext.BaseDirectory, "Plugins", "damaged", file));
        var (status, body) = await UploadAsync(app, TicketSurge("damaged"), damaged);
        Assert.True(status == HttpStatusCode.BadRequest, body.ToString());
        Assert.NotEmpty(body.GetProperty("errors").GetProperty("assembly")[0].GetString()!);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Client.GetAsync("/v1/agents/damaged")).StatusCode);
    }

    /// <summary>
    /// An upload whose Create never returns kept a plugin thread for good, once per upload, until all 64 were stuck and every
    /// other plugin's calls failed; its hung call showed nowhere (qa42b #1). Code run at registration now has the places of
    /// one version (Plugins:MaxHungCalls); a hung one keeps its place, counted as the uploaded version's hung call.
    /// </summary>
    [Fact]
    public async Task AnUploadWhoseCreateHangs_HoldsAtMostRegistrationsPlaces_AndIsCountedAsHung_AndOtherPluginsKeepBriefing()
    {
        await using var app = await StartWithCasesAsync(settings: new Dictionary<string, string?> { ["Plugins:CallTimeout"] = "00:00:00.500", ["Plugins:MaxHungCalls"] = "1" });
        var (status, body) = await UploadAsync(app, TicketSurge());
        Assert.True(status == HttpStatusCode.Created, body.ToString());
        await app.EvaluateAndPromoteAsync("ticket-surge", "1.0.0", "hand-timeline");
        var hang = CreateHang("create-hang", 8000);

        (status, body) = await UploadAsync(app, hang, manifestName: "manifest.json");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("did not finish", body.GetProperty("errors").GetProperty("assembly")[0].GetString(), StringComparison.Ordinal);
        Assert.Contains(app.Services.GetRequiredService<PluginKind>().HungCalls(), h => h is { Id: "create-hang", Hung: 1 });
        // The place it holds is registration's only one: the next upload is refused at once, saying why, instead of taking another thread.
        (status, body) = await UploadAsync(app, hang.Replace("create-hang", "create-hang-2", StringComparison.Ordinal), manifestName: "manifest.json");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("still running past their limit", body.GetProperty("errors").GetProperty("assembly")[0].GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(app.Services.GetRequiredService<PluginKind>().HungCalls(), h => h.Id == "create-hang-2");

        // The version already live is called as before.
        await app.PostEventsAsync(Timelines.AtRisk("plug-1", DateTimeOffset.UtcNow));
        await app.WaitForProcessingAsync();
        Assert.Single(await app.BriefsAsync("&agentId=ticket-surge&customerId=plug-1"));
    }

    private static string CreateHang(string id, int hangMs) => Misbehaving(id, "createhang").Replace("\"hangMs\":1500", $"\"hangMs\":{hangMs}", StringComparison.Ordinal);

    /// <summary>
    /// Uploads whose Create hangs held every registration place, which creating a stored version took too: a version
    /// evaluated before was promoted (200 "active") and never ran, and its evaluation failed, until a restart (rev42 #1). A
    /// stored version is created in its own places.
    /// </summary>
    [Fact]
    public async Task HungUploads_DoNotStopAStoredPluginVersion_FromBeingEvaluatedPromotedAndRun()
    {
        await using var app = await StartWithCasesAsync(settings: new() { ["Plugins:CallTimeout"] = "00:00:00.500", ["Plugins:MaxHungCalls"] = "1" });
        var (status, body) = await UploadAsync(app, TicketSurge());
        Assert.True(status == HttpStatusCode.Created, body.ToString());
        (status, _) = await UploadAsync(app, CreateHang("create-hang", 20000), manifestName: "manifest.json");
        Assert.Equal(HttpStatusCode.BadRequest, status);

        await app.EvaluateAndPromoteAsync("ticket-surge", "1.0.0", "hand-timeline");
        await app.PostEventsAsync(Timelines.AtRisk("plug-1", DateTimeOffset.UtcNow));
        await app.WaitForProcessingAsync();
        Assert.Single(await app.BriefsAsync("&agentId=ticket-surge&customerId=plug-1"));
    }

    /// <summary>
    /// A plugin manifest registered with POST /v1/agents (a new version of an uploaded assembly) ran its Create in the new
    /// version's own places, so each one whose Create hung kept one more thread: Plugins:MaxHungCalls no longer bounded what
    /// code run at registration holds (rev42b #1). Every registration shares registration's places.
    /// </summary>
    [Fact]
    public async Task ManifestRegistrationsWhoseCreateHangs_HoldAtMostRegistrationsPlaces()
    {
        await using var app = await AgentCrmApp.StartAsync(settings: new Dictionary<string, string?> { ["Plugins:CallTimeout"] = "00:00:00.500", ["Plugins:MaxHungCalls"] = "1" });
        var (status, body) = await UploadAsync(app, TicketSurge());
        Assert.True(status == HttpStatusCode.Created, body.ToString());
        var hash = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(PluginPath)));
        var answers = new List<string>();
        for (var i = 1; i <= 3; i++)
        {
            var manifest = CreateHang($"hang-{i}", 60000).Replace("\"mode\":", $"\"assembly\":\"{hash}\",\"mode\":", StringComparison.Ordinal);
            using var response = await app.Client.PostAsync("/v1/agents", new StringContent(manifest, Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            answers.Add(await response.Content.ReadAsStringAsync());
        }
        var hung = app.Services.GetRequiredService<PluginKind>().HungCalls().Sum(h => h.Hung);
        Assert.True(hung == 1, $"{hung} plugin threads are held by calls made at registration (Plugins:MaxHungCalls 1): {string.Join(" | ", answers)}");
        Assert.Contains("still running past their limit", answers[^1], StringComparison.Ordinal);
    }

    /// <summary>
    /// Once registration's places were all held by hung calls, an upload still waited the whole CallTimeout for one before it
    /// was refused (rev42 #2): it is refused at once. (A 30 s limit, so "at once" is far from it on any machine.)
    /// </summary>
    [Fact]
    public async Task OnceRegistrationsPlacesAreHeldByHungCalls_AnUploadIsRefusedWithoutWaitingForOne()
    {
        await using var app = await AgentCrmApp.StartAsync(settings: new Dictionary<string, string?> { ["Plugins:CallTimeout"] = "00:00:01", ["Plugins:MaxHungCalls"] = "1" });
        var (status, _) = await UploadAsync(app, CreateHang("create-hang", 60000), manifestName: "manifest.json");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        // The limit raised after the hang (the options are read per call): a wait for a place would now take 30 s.
        app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<PluginOptions>>().Value.CallTimeout = TimeSpan.FromSeconds(30);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        (status, var body) = await UploadAsync(app, CreateHang("create-hang-2", 60000), manifestName: "manifest.json");
        clock.Stop();
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("still running past their limit", body.GetProperty("errors").GetProperty("assembly")[0].GetString(), StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"refused after {clock.Elapsed.TotalMilliseconds:0} ms");
    }

    /// <summary>
    /// Another upload refused while a hanging one ran dropped the (not yet registered, nothing hung) version's counter, and
    /// the hung call was then counted on an entry no gauge reads (rev42 #3).
    /// </summary>
    [Fact]
    public async Task AHungUpload_IsCounted_EvenIfAnotherUploadIsRefusedWhileItRuns()
    {
        await using var app = await AgentCrmApp.StartAsync(settings: new Dictionary<string, string?> { ["Plugins:CallTimeout"] = "00:00:02", ["Plugins:MaxHungCalls"] = "2" });
        var hanging = UploadAsync(app, CreateHang("create-hang", 20000), manifestName: "manifest.json");
        await Task.Delay(700);
        var (refused, _) = await UploadAsync(app, TicketSurge("not-dotnet"), Encoding.ASCII.GetBytes(new string('x', 4096)));
        Assert.Equal(HttpStatusCode.BadRequest, refused);
        var (status, _) = await hanging;
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(app.Services.GetRequiredService<PluginKind>().HungCalls(), h => h is { Id: "create-hang", Hung: 1 });
    }

    /// <summary>
    /// A kind whose constructor threw was reported as "TargetInvocationException: Exception has been thrown by the target of an
    /// invocation.", the plugin's own message nowhere (qa42b #3).
    /// </summary>
    [Fact]
    public async Task AKindConstructorThatThrows_IsRefusedWithThePluginsOwnException()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var (status, body) = await UploadAsync(app, Misbehaving("arms-ctor", "armctor"), manifestName: "manifest.json");
        Assert.True(status == HttpStatusCode.Created, body.ToString());
        // Its call arms the kind's constructor to throw next time (in the load context the registered version keeps).
        var registry = app.Services.GetRequiredService<AgentCrm.Agents.AgentRegistry>();
        var snapshot = new AgentCrm.Agents.CustomerSnapshot("c-1", DateTimeOffset.UtcNow, new Dictionary<string, AgentCrm.Agents.SnapshotField>());
        Assert.True(registry.CreateAgent(registry.Find("arms-ctor", "1.0.0")).Assess(snapshot).Fired);

        (status, body) = await UploadAsync(app, TicketSurge());
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("The plugin failed while constructing its kinds: InvalidOperationException: the misbehaving kind's constructor failed on purpose (armctor)",
            body.GetProperty("errors").GetProperty("assembly")[0].GetString());
    }

    /// <summary>
    /// `agentcrm agents unregister` beside a running server: the server took the version as retired but kept its load context
    /// loaded until a change made through its own API (qa42b #4); it is released once the server has read the CLI's change.
    /// </summary>
    [Fact]
    public async Task ACliUnregisterBesideTheServer_ReleasesThePluginsLoadContext()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var (status, body) = await UploadAsync(app, TicketSurge());
        Assert.True(status == HttpStatusCode.Created, body.ToString());
        var plugins = app.Services.GetRequiredService<PluginKind>();
        var hash = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(PluginPath)));
        Assert.Contains(hash, plugins.Loaded);

        var unregistered = await Cli.CliRunner.RunAsync(["agents", "unregister", "ticket-surge", "--data", app.DataDirectory]);
        Assert.True(unregistered.ExitCode == 0, unregistered.Stderr);

        // Generous: the server reads other processes' changes on a timer, which a busy machine runs late.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (plugins.Loaded.Contains(hash))
        {
            Assert.True(DateTime.UtcNow < deadline, "the server kept the unregistered plugin's load context loaded for 60 s");
            await Task.Delay(100);
        }
        Assert.Equal("retired", (await app.GetJsonAsync("/v1/agents/ticket-surge")).GetProperty("versions")[0].GetProperty("state").GetString());
    }

    /// <summary>Scrapes /metrics until <paramref name="done"/> holds, collecting garbage between scrapes when asked.</summary>
    private static async Task<AgentCrm.Runtime.Tests.Observability.Prometheus> ScrapeUntilAsync(AgentCrmApp app, Func<AgentCrm.Runtime.Tests.Observability.Prometheus, bool> done, string expected, bool collect = false)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        string text;
        do
        {
            if (collect)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
            text = await app.Client.GetStringAsync("/metrics");
            var metrics = AgentCrm.Runtime.Tests.Observability.Prometheus.Parse(text);
            if (done(metrics))
                return metrics;
            await Task.Delay(100);
        }
        while (DateTime.UtcNow < deadline);
        throw new TimeoutException($"Expected {expected} within 30 s; the last scrape was:\n{text}");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static object Hold(AgentCrmApp app, string hash) => Watch(app, hash).Target!;

    [Fact]
    public async Task Scrape_CountsLoadContexts_Loaded_ThenUnloading_UntilCollected()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var (status, body) = await UploadAsync(app, TicketSurge());
        Assert.True(status == HttpStatusCode.Created, body.ToString());
        Assert.Equal(HttpStatusCode.OK, (await app.Client.PostAsync("/v1/agents/ticket-surge/versions/1.0.0/shadow", null)).StatusCode);
        var hash = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(PluginPath)));
        await ScrapeUntilAsync(app, m => m.Sum("agentcrm_plugin_load_contexts", ("state", "loaded")) == 1, "one load context loaded");

        // Something still refers into it (here the test; in production a plugin's timer or thread, or a hung call): unloaded, not collected.
        object? held = Hold(app, hash);
        Assert.Equal(HttpStatusCode.OK, (await app.Client.DeleteAsync("/v1/agents/ticket-surge")).StatusCode);
        await ScrapeUntilAsync(app, m => m.Sum("agentcrm_plugin_load_contexts", ("state", "loaded")) == 0
            && m.Sum("agentcrm_plugin_load_contexts", ("state", "unloading")) == 1, "the load context unloading", collect: true);
        GC.KeepAlive(held);
        held = null;

        // Let go: collected at a full GC, and no longer counted.
        await ScrapeUntilAsync(app, m => m.Has("agentcrm_plugin_load_contexts", ("state", "unloading"))
            && m.Sum("agentcrm_plugin_load_contexts", ("state", "unloading")) == 0, "no load context unloading", collect: true);
    }

    [Fact]
    public async Task Scrape_NamesAVersionsHungCalls()
    {
        await using var app = await AgentCrmApp.StartAsync(settings: new Dictionary<string, string?> { ["Plugins:CallTimeout"] = "00:00:00.100" });
        var (status, body) = await UploadAsync(app, Misbehaving("hung-scraped", "hang").Replace("\"hangMs\":1500", "\"hangMs\":20000", StringComparison.Ordinal), manifestName: "manifest.json");
        Assert.True(status == HttpStatusCode.Created, body.ToString());
        var registry = app.Services.GetRequiredService<AgentCrm.Agents.AgentRegistry>();
        var snapshot = new AgentCrm.Agents.CustomerSnapshot("c-1", DateTimeOffset.UtcNow, new Dictionary<string, AgentCrm.Agents.SnapshotField>());

        Assert.Throws<TimeoutException>(() => registry.CreateAgent(registry.Find("hung-scraped", "1.0.0")).Assess(snapshot));

        await ScrapeUntilAsync(app, m => m.Sum("agentcrm_plugin_calls_hung", ("agent", "hung-scraped"), ("version", "1.0.0")) == 1, "one hung call of hung-scraped@1.0.0");
    }

    [Fact]
    public async Task Unregister_AVersionWithNoCallRunning_ItsHungCallSeriesIsDropped()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var (status, body) = await UploadAsync(app, Misbehaving("hung-forgotten", "lowfire"), manifestName: "manifest.json");
        Assert.True(status == HttpStatusCode.Created, body.ToString());
        var registry = app.Services.GetRequiredService<AgentCrm.Agents.AgentRegistry>();
        registry.CreateAgent(registry.Find("hung-forgotten", "1.0.0"));
        var plugins = app.Services.GetRequiredService<PluginKind>();
        Assert.Contains(plugins.HungCalls(), h => h.Id == "hung-forgotten");

        Assert.Equal(HttpStatusCode.OK, (await app.Client.DeleteAsync("/v1/agents/hung-forgotten")).StatusCode);

        // Before, every version ever created kept its 0 series in agentcrm_plugin_calls_hung for good.
        Assert.DoesNotContain(plugins.HungCalls(), h => h.Id == "hung-forgotten");
    }
}
