using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using AgentCrm.Agents;
using AgentCrm.Agents.Customers;
using AgentCrm.Briefs;
using AgentCrm.Cli;
using AgentCrm.Customers;
using AgentCrm.Intake;
using AgentCrm.Server;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace AgentCrm.Bench;

/// <summary>
/// `agentcrm bench`: drives N events for M customers over loopback HTTP through intake → durable inbox →
/// customer actor → renewal-risk agent → brief, on the embedded host with durability on, and compares
/// with the same agent called directly in a loop in the same run.
/// </summary>
internal static class BenchRunner
{
    public static readonly Option<int> Events = new("--events") { Description = "Events to send in the throughput phase.", DefaultValueFactory = _ => 200_000 };
    public static readonly Option<int> Customers = new("--customers") { Description = "Distinct customers.", DefaultValueFactory = _ => 2_000 };
    public static readonly Option<int> Warmup = new("--warmup")
    {
        Description = "Events sent at full rate before measuring, so the JIT has tiered up the hot paths (0: only one event per customer).",
        DefaultValueFactory = _ => 200_000,
    };
    public static readonly Option<string> Sync = new("--sync") { Description = "SQLite synchronous mode: Full or Normal.", DefaultValueFactory = _ => "Full" };
    public static readonly Option<bool> Knowledge = new("--knowledge") { Description = "Benchmark knowledge search (100,000 x 384) and ingest instead of the runtime." };
    public static readonly Option<bool> Replay = new("--replay") { Description = "Benchmark the sandbox replay of the shipped telco cases instead of the runtime." };
    public static readonly Option<bool> Kinds = new("--kinds") { Description = "Benchmark the rules agent and the plugin call path against the compiled built-in agent instead of the runtime." };
    public static readonly Option<bool> InProcess = new("--in-process") { Description = "Append through the intake service instead of HTTP (shows what HTTP costs)." };
    private const int BatchSize = 500;
    private const int Senders = 4;

    public static async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        if (parse.GetValue(Knowledge))
            return await KnowledgeBench.RunAsync(parse.GetValue(AgentCrmCli.Json));
        if (parse.GetValue(Kinds))
            return KindsBench.Run(parse.GetValue(AgentCrmCli.Json));
        if (parse.GetValue(Replay))
            return ReplayBench.Run(parse.GetValue(AgentCrmCli.Json));
        var total = parse.GetValue(Events);
        var customers = parse.GetValue(Customers);
        var warmup = parse.GetValue(Warmup);
        // Their ranges are the parser's (BenchCommand): a value out of range never gets here.
        var (chosen, problem) = BenchData.Choose(parse);
        if (chosen is not { } dir)
            return AgentCrmCli.Fail(problem!);
        Directory.CreateDirectory(dir);
        var fileSystem = BenchData.FileSystemOf(dir);
        var json = parse.GetValue(AgentCrmCli.Json);
        var log = json ? TextWriter.Null : Console.Out;
        try
        {
            var app = AgentCrmServer.Build([], new Dictionary<string, string?>
            {
                ["Storage:DataDirectory"] = dir,
                ["Storage:Synchronous"] = parse.GetValue(Sync),
                ["urls"] = "http://127.0.0.1:0",
                ["Logging:LogLevel:Default"] = "Warning",
                ["Serilog:MinimumLevel"] = "Warning",
            });
            await app.StartAsync(cancellationToken);
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            var metrics = app.Services.GetRequiredService<RuntimeMetrics>();
            var dispatcher = app.Services.GetRequiredService<EventDispatcher>();
            using var http = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromMinutes(5) };
            // The benchmark sends as an integrator would, with a key (authentication is part of the measured path).
            var key = await app.Services.GetRequiredService<Access.ApiKeyStore>().CreateAsync("bench", Access.Roles.Integrator, "system:bench", cancellationToken);
            http.DefaultRequestHeaders.Add(Access.CredentialHandler.ApiKeyHeader, key.Key);
            var now = DateTimeOffset.UtcNow;
            var random = new Random(7);

            log.WriteLine($"bench: {total:N0} events, {Counted.Of(customers, "customer", format: "N0")}, synchronous={parse.GetValue(Sync)}, {Counted.Of(Environment.ProcessorCount, "core")}, {Counted.Of(warmup, "warm-up event", format: "N0")}");
            log.WriteLine($"data in {dir} ({fileSystem}; removed afterwards)");
            if (BenchData.Warning(fileSystem) is { } inMemory)
                Console.Error.WriteLine($"agentcrm: warning: {inMemory}");

            // Warm-up: activate every customer once, then run the measured path at full rate: a server that has run
            // for a while has tiered its hot code up (the JIT's tier-1 and PGO recompiles take the first ~20-30 s of
            // load here), and a measurement that starts cold counts that compilation against the runtime.
            await SendAsync(http, Generate(customers, customers, now, random, "w"), 1, cancellationToken);
            if (warmup > 0)
            {
                var warm = Generate(warmup, customers, now, random, "u");
                if (parse.GetValue(InProcess))
                    await AppendInProcessAsync(app.Services.GetRequiredService<EventStore>(), warm, cancellationToken);
                else
                    await SendAsync(http, warm, Senders, cancellationToken);
            }
            await WaitForAsync(dispatcher, app.Services.GetRequiredService<EventStore>(), cancellationToken);

            metrics.EventToAssessment.Reset();
            var batches = Generate(total, customers, now, random, "t");
            var writer = app.Services.GetRequiredService<Storage.SqliteWriter>();
            var (commits0, ops0, busy0, commit0, restarts0, restartTime0) = (writer.Commits, writer.Operations, writer.BusyTime, writer.CommitTime, writer.Restarts, writer.RestartTime);
            var states = app.Services.GetRequiredService<Actors.IActorStateStore>() as Actors.SqliteActorStateStore;
            var (stateValues0, stateBytes0) = (states?.ValuesWritten ?? 0, states?.BytesWritten ?? 0);
            var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            var (allocated0, gcPause0) = (GC.GetTotalAllocatedBytes(precise: false), GC.GetTotalPauseDuration());
            var citations = app.Services.GetRequiredService<Knowledge.BriefCitations>();
            var (cacheHits0, cacheMisses0) = citations.CacheCounts;
            var (jitMethods0, jitTime0) = (System.Runtime.JitInfo.GetCompiledMethodCount(), System.Runtime.JitInfo.GetCompilationTime());
            // The write-ahead log's size, sampled through both phases: held to Storage:MaxWalBytes by the checkpointer.
            var wal = new FileInfo(app.Services.GetRequiredService<Storage.SqliteDatabase>().FilePath + "-wal");
            using var stopSampling = new CancellationTokenSource();
            var walPeak = Task.Run(async () =>
            {
                long peak = 0;
                using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
                try
                {
                    do
                    {
                        wal.Refresh();
                        peak = Math.Max(peak, wal.Exists ? wal.Length : 0);
                    }
                    while (await timer.WaitForNextTickAsync(stopSampling.Token));
                }
                catch (OperationCanceledException)
                {
                }
                return peak;
            }, CancellationToken.None);
            var sw = Stopwatch.StartNew();
            if (parse.GetValue(InProcess))
                await AppendInProcessAsync(app.Services.GetRequiredService<EventStore>(), batches, cancellationToken);
            else
                await SendAsync(http, batches, Senders, cancellationToken);
            var accepted = sw.Elapsed;
            await WaitForAsync(dispatcher, app.Services.GetRequiredService<EventStore>(), cancellationToken);
            var processed = sw.Elapsed;
            var cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
            var cpu = cpuSeconds / processed.TotalSeconds;
            // Per event, over the whole process (the bench's own HTTP senders included, the same in every build): far less
            // sensitive to other work on the machine than events/s, so builds are compared by these.
            var cpuPerEvent = cpuSeconds * 1e6 / total;
            var allocatedPerEvent = (double)(GC.GetTotalAllocatedBytes(precise: false) - allocated0) / total;
            var gcPauseShare = (GC.GetTotalPauseDuration() - gcPause0).TotalSeconds / processed.TotalSeconds;
            var (jitMethods, jitTime) = (System.Runtime.JitInfo.GetCompiledMethodCount() - jitMethods0, System.Runtime.JitInfo.GetCompilationTime() - jitTime0);
            var (commits, ops) = (writer.Commits - commits0, writer.Operations - ops0);
            // Actor state saved while measuring (each turn writes its customer's whole state), per event.
            var (stateSaves, stateBytes) = ((double)((states?.ValuesWritten ?? 0) - stateValues0) / total, (double)((states?.BytesWritten ?? 0) - stateBytes0) / total);
            var writerBusy = (writer.BusyTime - busy0).TotalSeconds / processed.TotalSeconds;
            var inCommit = (writer.CommitTime - commit0).TotalSeconds / processed.TotalSeconds;
            var rate = total / processed.TotalSeconds;
            var p = (P50: metrics.EventToAssessment.Percentile(50), P95: metrics.EventToAssessment.Percentile(95), P99: metrics.EventToAssessment.Percentile(99));

            // Paced phase at half the measured rate: latency when the system is not saturated.
            metrics.EventToAssessment.Reset();
            var pacedRate = rate / 2;
            var paced = Generate((int)Math.Min(total / 2, pacedRate * 10), customers, now, random, "p");
            await SendPacedAsync(http, paced, pacedRate, cancellationToken);
            await WaitForAsync(dispatcher, app.Services.GetRequiredService<EventStore>(), cancellationToken);
            var q = (P50: metrics.EventToAssessment.Percentile(50), P95: metrics.EventToAssessment.Percentile(95), P99: metrics.EventToAssessment.Percentile(99));
            var briefs = app.Services.GetRequiredService<BriefStore>().Count();
            var (cacheHits, citationSearches) = (citations.CacheCounts.Hits - cacheHits0, citations.CacheCounts.Hits + citations.CacheCounts.Misses - cacheHits0 - cacheMisses0);
            await stopSampling.CancelAsync();
            var walPeakBytes = await walPeak;
            var (walRestarts, walRestartSeconds) = (writer.Restarts - restarts0, (writer.RestartTime - restartTime0).TotalSeconds);
            wal.Refresh();
            var walEndBytes = wal.Exists ? wal.Length : 0;
            await app.StopAsync(CancellationToken.None);
            await app.DisposeAsync();

            var direct = DirectBaseline(customers, now);
            var result = new
            {
                events = total,
                customers,
                warmupEvents = warmup,
                synchronous = parse.GetValue(Sync),
                dataDirectory = dir,
                fileSystem,
                acceptSeconds = Math.Round(accepted.TotalSeconds, 3),
                processSeconds = Math.Round(processed.TotalSeconds, 3),
                eventsPerSecond = Math.Round(rate),
                latencyMs = new { p50 = Math.Round(p.P50, 2), p95 = Math.Round(p.P95, 2), p99 = Math.Round(p.P99, 2) },
                pacedEventsPerSecond = Math.Round(pacedRate),
                pacedLatencyMs = new { p50 = Math.Round(q.P50, 2), p95 = Math.Round(q.P95, 2), p99 = Math.Round(q.P99, 2) },
                directAssessPerSecond = Math.Round(direct),
                runtimeOverheadRatio = Math.Round(direct / rate, 1),
                briefs,
                citationSearches,
                citationCacheHits = cacheHits,
                transport = parse.GetValue(InProcess) ? "in-process" : "http",
                cpuCoresBusy = Math.Round(cpu, 2),
                cpuMicrosecondsPerEvent = Math.Round(cpuPerEvent, 1),
                allocatedBytesPerEvent = Math.Round(allocatedPerEvent),
                gcPauseShare = Math.Round(gcPauseShare, 3),
                jitMethods,
                jitSeconds = Math.Round(jitTime.TotalSeconds, 2),
                writerBusyShare = Math.Round(writerBusy, 2),
                writerCommitShare = Math.Round(inCommit, 2),
                commits,
                writeOperations = ops,
                stateSavesPerEvent = Math.Round(stateSaves, 3),
                stateBytesPerEvent = Math.Round(stateBytes),
                walPeakBytes,
                walEndBytes,
                walRestarts,
                walRestartSeconds = Math.Round(walRestartSeconds, 3),
            };
            if (json)
                Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(result, AgentCrmCli.JsonOutput));
            else
            {
                Console.WriteLine($"throughput      {result.eventsPerSecond,10:N0} events/s  (accepted in {result.acceptSeconds:0.00} s, processed in {result.processSeconds:0.00} s)");
                Console.WriteLine($"latency (max)   p50 {p.P50,7:0.00} ms  p95 {p.P95,7:0.00} ms  p99 {p.P99,7:0.00} ms   event accepted → assessed");
                Console.WriteLine($"latency (half)  p50 {q.P50,7:0.00} ms  p95 {q.P95,7:0.00} ms  p99 {q.P99,7:0.00} ms   at {pacedRate:N0} events/s");
                Console.WriteLine($"direct Assess   {direct,10:N0} assessments/s (snapshot + agent, same run)  → runtime costs {result.runtimeOverheadRatio}x per event");
                Console.WriteLine($"briefs written  {briefs,10:N0}");
                Console.WriteLine($"citations       {citationSearches,10:N0} searches while measuring, {(double)cacheHits / Math.Max(1, citationSearches):P1} answered from the cache (kept per knowledge version)");
                Console.WriteLine($"cpu             {cpu,10:0.00} cores busy of {Environment.ProcessorCount}; {commits:N0} group commits for {ops:N0} write operations ({(double)ops / Math.Max(1, commits):0.0} per commit)");
                Console.WriteLine($"actor state     {stateSaves,10:0.000} saves per event, {stateBytes:N0} bytes of state JSON written per event");
                Console.WriteLine($"per event       {cpuPerEvent,10:N1} µs of CPU (the whole process, senders included), {allocatedPerEvent:N0} bytes allocated; the GC paused it {gcPauseShare:P1} of the time");
                Console.WriteLine($"jit             {jitMethods,10:N0} methods compiled while measuring throughput, {jitTime.TotalSeconds:0.00} s of compilation (near 0 once warm)");
                Console.WriteLine($"writer          {writerBusy,10:P0} of the time busy, {inCommit:P0} in COMMIT (the single SQLite writer is the limit when this nears 100%)");
                Console.WriteLine($"write-ahead log {walPeakBytes / 1048576.0,10:N0} MB at most while measuring, {walEndBytes / 1048576.0:N0} MB at the end; restarted {walRestarts} times by the writer, {walRestartSeconds:0.00} s in all");
            }
            return 0;
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>The baseline: build the snapshot and call the same agent in a plain loop.</summary>
    private static double DirectBaseline(int customers, DateTimeOffset now)
    {
        var kind = BuiltInKinds.All.First(k => k.Name == "renewal-risk");
        var agent = kind.Create(kind.BuiltIn!);
        var random = new Random(11);
        var states = new List<CustomerState>();
        foreach (var batch in Generate(Math.Max(customers * 20, 20_000), customers, now, random, "d"))
            foreach (var line in batch.Split('\n'))
            {
                var e = EventStore.ParseStored(line);
                var idx = int.Parse(e.CustomerId.AsSpan(2), CultureInfo.InvariantCulture);
                while (states.Count <= idx)
                    states.Add(new CustomerState());
                CustomerTimeline.Apply(states[idx], e);
            }
        var reads = agent.Manifest.Reads;
        // The snapshot the actor builds for this agent: only the groups it reads.
        var plan = SnapshotPlan.For(reads.Append("profile.name"));
        long n = 0;
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromSeconds(2))
            foreach (var s in states)
            {
                var snapshot = SnapshotBuilder.Build(s, s.LastEventAt ?? now, plan).Only(reads);
                _ = agent.Assess(snapshot);
                n++;
            }
        return n / sw.Elapsed.TotalSeconds;
    }

    internal static List<string> Generate(int count, int customers, DateTimeOffset now, Random random, string prefix)
    {
        string[] types = ["usage", "usage", "usage", "login", "login", "support_ticket", "payment", "invoice", "nps", "web_visit", "contract"];
        var batches = new List<string>();
        var sb = new StringBuilder();
        for (var i = 0; i < count; i++)
        {
            var c = random.Next(customers);
            var type = types[random.Next(types.Length)];
            var at = now.AddMinutes(-random.Next(0, 60 * 24 * 60)).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
            var attributes = type switch
            {
                "usage" => $"{{\"quantity\":{random.Next(1, 100)}}}",
                "support_ticket" => $"{{\"ticketId\":\"T{random.Next(50)}\",\"status\":\"{(random.Next(3) == 0 ? "resolved" : "open")}\",\"priority\":\"{(random.Next(5) == 0 ? "high" : "normal")}\"}}",
                "payment" => $"{{\"status\":\"{(random.Next(10) == 0 ? "failed" : "succeeded")}\",\"amount\":100}}",
                "invoice" => $"{{\"invoiceId\":\"I{random.Next(20)}\",\"amount\":100,\"status\":\"open\"}}",
                "nps" => $"{{\"score\":{random.Next(0, 11)}}}",
                "contract" => $"{{\"contractType\":\"{(random.Next(2) == 0 ? "month-to-month" : "one-year")}\",\"endDate\":\"{now.AddDays(random.Next(10, 400)):yyyy-MM-dd}T00:00:00Z\"}}",
                "web_visit" => "{\"url\":\"https://vendor.example/pricing\"}",
                _ => "{}",
            };
            if (sb.Length > 0)
                sb.Append('\n');
            sb.Append(CultureInfo.InvariantCulture, $"{{\"id\":\"{prefix}{i}\",\"customerId\":\"c-{c}\",\"type\":\"{type}\",\"occurredAt\":\"{at}\",\"attributes\":{attributes}}}");
            if ((i + 1) % BatchSize == 0 || i == count - 1)
            {
                batches.Add(sb.ToString());
                sb.Clear();
            }
        }
        return batches;
    }

    private static async Task SendAsync(HttpClient http, List<string> batches, int senders, CancellationToken ct)
    {
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, senders).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < batches.Count)
                await PostAsync(http, batches[i], ct);
        }));
    }

    private static async Task AppendInProcessAsync(EventStore store, List<string> batches, CancellationToken ct)
    {
        var options = new IntakeOptions();
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, Senders).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < batches.Count)
                await store.AppendAsync(EventParser.Parse(Encoding.UTF8.GetBytes(batches[i]), ndjson: true, options, DateTimeOffset.UtcNow).Events, cancellationToken: ct);
        }));
    }

    private static async Task SendPacedAsync(HttpClient http, List<string> batches, double eventsPerSecond, CancellationToken ct)
    {
        var perBatch = TimeSpan.FromSeconds(BatchSize / eventsPerSecond);
        var sw = Stopwatch.StartNew();
        var pending = new List<Task>();
        for (var i = 0; i < batches.Count; i++)
        {
            var due = perBatch * i;
            if (sw.Elapsed < due)
                await Task.Delay(due - sw.Elapsed, ct);
            pending.Add(PostAsync(http, batches[i], ct));
        }
        await Task.WhenAll(pending);
    }

    private static async Task PostAsync(HttpClient http, string ndjson, CancellationToken ct)
    {
        using var content = new StringContent(ndjson, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
        using var response = await http.PostAsync("/v1/events", content, ct);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"intake answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
    }

    private static async Task WaitForAsync(EventDispatcher dispatcher, EventStore store, CancellationToken ct)
    {
        var target = store.MaxSeq();
        while (dispatcher.Watermark < target)
            await Task.Delay(5, ct);
    }
}
