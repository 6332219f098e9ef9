using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentCrm.Intake;
using AgentCrm.Runtime.Tests.EndToEnd;
using AgentCrm.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests;

/// <summary>
/// The real server, in process, listening on a loopback port with its own temp data directory.
/// Tests talk to it over real HTTP.
/// </summary>
public sealed class AgentCrmApp : IAsyncDisposable
{
    private readonly WebApplication _app;

    private AgentCrmApp(WebApplication app, string dataDirectory, HttpClient client)
    {
        _app = app;
        DataDirectory = dataDirectory;
        Client = client;
    }

    /// <summary>The server's address, for clients with other credentials.</summary>
    public Uri Address => Client.BaseAddress!;

    /// <summary>A new API key with <paramref name="role"/> (named <paramref name="name"/>, or a fresh name).</summary>
    public async Task<string> CreateKeyAsync(string role, string? name = null) =>
        (await Services.GetRequiredService<AgentCrm.Access.ApiKeyStore>().CreateAsync(name ?? $"{role}-{Guid.NewGuid():N}", role, "test")).Key;

    /// <summary>An HTTP client for a new key of <paramref name="role"/>; without a role, a client with no credential.</summary>
    public async Task<HttpClient> ClientAsync(string? role, string? name = null)
    {
        var client = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(60) };
        if (role is not null)
            client.DefaultRequestHeaders.Add("X-Api-Key", await CreateKeyAsync(role, name));
        return client;
    }

    public string DataDirectory { get; }

    public HttpClient Client { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<AgentCrmApp> StartAsync(string? dataDirectory = null, IDictionary<string, string?>? settings = null, Action<IServiceCollection>? configure = null)
    {
        dataDirectory ??= TempDirectory.Create();
        var overrides = new Dictionary<string, string?>
        {
            ["Storage:DataDirectory"] = dataDirectory,
            ["Storage:Synchronous"] = "Normal",
            ["Knowledge:IngestBundled"] = "false",
            ["urls"] = "http://127.0.0.1:0",
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>())
            overrides[k] = v;
        var app = AgentCrmServer.Build([], overrides, configure);
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        // Client acts as an administrator (every role's rights); ClientAsync gives other roles.
        var admin = await app.Services.GetRequiredService<AgentCrm.Access.ApiKeyStore>().CreateAsync($"test-admin-{Guid.NewGuid():N}", "admin", "test");
        var client = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Add("X-Api-Key", admin.Key);
        return new AgentCrmApp(app, dataDirectory, client);
    }

    public Task<HttpResponseMessage> PostEventsAsync(IEnumerable<JsonObject> events) =>
        Client.PostAsync("/v1/events", new StringContent(new JsonArray(events.Select(e => (JsonNode)e.DeepClone()).ToArray()).ToJsonString(), Encoding.UTF8, "application/json"));

    /// <summary>
    /// Waits until every stored event has been processed by its actor. The default is a hang guard, not a speed check: CI runs
    /// the suite on a loaded 2-core machine in a Debug build.
    /// </summary>
    public async Task WaitForProcessingAsync(TimeSpan? timeout = null)
    {
        var store = Services.GetRequiredService<EventStore>();
        var dispatcher = Services.GetRequiredService<EventDispatcher>();
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromMinutes(2));
        var target = store.MaxSeq();
        while (dispatcher.Watermark < target)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Expected every event up to seq {target} to be processed within the timeout; the watermark is at {dispatcher.Watermark}.");
            await Task.Delay(10);
        }
    }

    public async Task<JsonElement> GetJsonAsync(string path)
    {
        using var response = await Client.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path} answered {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Runs a sandbox evaluation job to its end and returns the report.</summary>
    public async Task<JsonElement> EvaluateAsync(string id, string version, string caseSet = "telco-churn")
    {
        var start = await Client.PostAsync($"/v1/agents/{id}/versions/{version}/evaluate", new StringContent($$"""{"caseSet":"{{caseSet}}"}""", Encoding.UTF8, "application/json"));
        Assert.True(start.StatusCode == System.Net.HttpStatusCode.Accepted, await start.Content.ReadAsStringAsync());
        var location = start.Headers.Location!.OriginalString;
        for (var i = 0; i < 1200; i++)
        {
            var job = await GetJsonAsync(location);
            var state = job.GetProperty("state").GetString();
            if (state == "succeeded")
                return await GetJsonAsync($"/v1/agents/{id}/versions/{version}/reports/latest");
            Assert.True(state == "running", $"job ended {state}: {job}");
            await Task.Delay(50);
        }
        throw new TimeoutException($"Expected the evaluation job {location} to finish within 60 s.");
    }

    /// <summary>Evaluates on a case set, then promotes; fails the test if the gate refuses.</summary>
    public async Task<HttpResponseMessage> EvaluateAndPromoteAsync(string id, string version, string caseSet = "telco-churn", int canaryPercent = 100)
    {
        await EvaluateAsync(id, version, caseSet);
        var response = await Client.PostAsync($"/v1/agents/{id}/versions/{version}/promote", new StringContent($$"""{"canaryPercent":{{canaryPercent}}}""", Encoding.UTF8, "application/json"));
        Assert.True(response.IsSuccessStatusCode, $"promote {id}@{version}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return response;
    }

    /// <summary>Feeds an at-risk history for the customer and returns the id of its newest brief, which must have the status given.</summary>
    public async Task<string> AtRiskBriefAsync(string customerId, string status)
    {
        await PostEventsAsync(Timelines.AtRisk(customerId, DateTimeOffset.UtcNow));
        await WaitForProcessingAsync();
        var brief = (await BriefsAsync($"&customerId={customerId}"))[0];
        Assert.Equal(status, brief.GetProperty("status").GetString());
        return brief.GetProperty("id").GetString()!;
    }

    public async Task<List<JsonElement>> BriefsAsync(string query = "")
    {
        var all = new List<JsonElement>();
        string? cursor = null;
        do
        {
            var page = await GetJsonAsync($"/v1/briefs?limit=500{query}{(cursor is null ? "" : "&cursor=" + cursor)}");
            all.AddRange(page.GetProperty("items").EnumerateArray());
            cursor = page.GetProperty("nextCursor").ValueKind == JsonValueKind.String ? page.GetProperty("nextCursor").GetString() : null;
        }
        while (cursor is not null);
        return all;
    }

    public async Task<double?> CustomerFieldAsync(string customerId, string field)
    {
        using var response = await Client.GetAsync($"/v1/customers/{customerId}");
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
            return null;
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        return json.GetProperty("fields").TryGetProperty(field, out var f) && f.GetProperty("number").ValueKind == JsonValueKind.Number ? f.GetProperty("number").GetDouble() : null;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>
/// Data directories for tests, under one folder per test run that is deleted when the test process exits (servers the
/// tests started are gone by then). A run killed before it could clean up leaves its folder: at first use each run sweeps
/// the folders of runs whose process is gone (killed test hosts once left 76 GB in a few hours), and any folder older than
/// a day.
/// </summary>
public static class TempDirectory
{
    private static readonly TimeSpan SweepAge = TimeSpan.FromDays(1);
    private static readonly Lazy<string> RunRoot = new(CreateRunRoot);

    private static readonly string Parent = Path.Combine(Path.GetTempPath(), "agentcrm-tests");

    public static string Create()
    {
        var dir = Path.Combine(RunRoot.Value, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>
    /// The folder name of a run by process <paramref name="pid"/>: <c>run-PID-START-GUID</c>, START the process's start
    /// (<see cref="StartOf"/>), so a later process given the same pid is not taken for the run that made it.
    /// </summary>
    internal static string RunFolderName(int pid) => $"run-{pid}-{StartOf(pid) ?? "0"}-{Guid.NewGuid():N}";

    /// <summary>
    /// Deletes the folders under <paramref name="parent"/> of runs whose process is gone (<see cref="IsOrphan"/>) and
    /// any folder last written more than a day before <paramref name="now"/>.
    /// </summary>
    internal static void Sweep(string parent, DateTime now)
    {
        foreach (var folder in new DirectoryInfo(parent).EnumerateDirectories())
            if (IsOrphan(folder.Name) || now - folder.LastWriteTimeUtc > SweepAge)
                TryDelete(folder.FullName);
    }

    /// <summary>
    /// Whether <paramref name="name"/> is the folder of a run whose process is gone: no process has its pid, or the one
    /// that has it started at another time (the pid was reused). Folders of the older form <c>run-PID-GUID</c> are orphans
    /// when no process has the pid. Other names are not runs' folders: only the day rule applies to them.
    /// </summary>
    internal static bool IsOrphan(string name)
    {
        var parts = name.Split('-');
        if (parts.Length is not (3 or 4) || parts[0] != "run" || !int.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var pid))
            return false;
        // Without a /proc of our own nothing can be told (hidepid, another kind of system): only the day rule applies.
        if (OperatingSystem.IsLinux() && StartOf(Environment.ProcessId) is null)
            return false;
        var start = StartOf(pid);
        // A run that could not read its own start ("0") is gone only when its pid is.
        return start is null || (parts.Length == 4 && parts[2] != "0" && parts[2] != start);
    }

    /// <summary>
    /// When process <paramref name="pid"/> started, as a stable text, or null when there is no such process. On Linux the
    /// start in clock ticks since boot (/proc/PID/stat, field 22), exact; elsewhere the start time in whole seconds.
    /// </summary>
    internal static string? StartOf(int pid)
    {
        if (OperatingSystem.IsLinux())
        {
            string stat;
            try
            {
                stat = File.ReadAllText($"/proc/{pid}/stat");
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return null;
            }
            // The command name (field 2) is in parentheses and may hold spaces: count fields after its closing one.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return fields.Length > 19 ? fields[19] : null;
        }
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return (process.StartTime.ToUniversalTime().Ticks / TimeSpan.TicksPerSecond).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
            return null;
        }
    }

    private static string CreateRunRoot()
    {
        Directory.CreateDirectory(Parent);
        Sweep(Parent, DateTime.UtcNow);
        var root = Path.Combine(Parent, RunFolderName(Environment.ProcessId));
        Directory.CreateDirectory(root);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => TryDelete(root);
        return root;
    }

    private static void TryDelete(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Another run's folder still in use, or a file a test made read-only: left for the next sweep.
        }
    }
}

/// <summary>Builds API-format events.</summary>
public static class Ev
{
    private static int _counter;

    public static JsonObject Make(string customerId, string type, DateTimeOffset at, object? attributes = null, string? id = null) => new()
    {
        ["id"] = id ?? $"ev-{Interlocked.Increment(ref _counter)}-{Guid.NewGuid():N}",
        ["customerId"] = customerId,
        ["type"] = type,
        ["occurredAt"] = at.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ"),
        ["source"] = "test",
        ["attributes"] = attributes is null ? new JsonObject() : JsonSerializer.SerializeToNode(attributes),
    };
}
