using System.Diagnostics;
using System.Net;
using AgentCrm.Access;
using AgentCrm.Runtime.Tests.Intake;
using AgentCrm.Server;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace AgentCrm.Runtime.Tests.Briefs;

/// <summary>
/// Stopping the server ends brief streams, a stream whose client stopped reading too: its write waits for socket buffers
/// that never drain, and it used to hold the stop up for the host's whole shutdown timeout (30 s), which left the actors'
/// drain no time ("drain timed out … 501 activations left; their turns were cancelled", qa28b).
/// </summary>
public sealed class BriefStreamStopTests
{
    [Fact]
    public async Task Stop_WithAStreamClientThatStoppedReading_EndsPromptly_AndTheActorsDrain()
    {
        var logs = new CapturedLogs();
        // The server's sockets get a small send buffer (accepted sockets take the listening socket's), so a few hundred
        // unread briefs fill it whatever the kernel's own buffer sizes are (Linux grows a socket's up to tcp_wmem's 4 MiB).
        var app = await AgentCrmApp.StartAsync(configure: s =>
        {
            s.AddSingleton(logs.Provider());
            s.Configure<SocketTransportOptions>(o => o.CreateBoundListenSocket = endpoint =>
            {
                var socket = SocketTransportOptions.CreateDefaultBoundListenSocket(endpoint);
                socket.SendBufferSize = 8192;
                return socket;
            });
        });
        // Open (and not reading) until after the stop: disposed, the client would close its connection and end the stream.
        HttpClient? reader = null;
        HttpResponseMessage? stream = null;
        Stopwatch stop;
        try
        {
            await EveryNpsBriefs.PromoteAsync(app);
            var customers = Enumerable.Range(0, EveryNpsBriefs.Customers).Select(i => $"nps-{i:000}").ToList();
            reader = await BriefStreamOverflowTests.SlowClientAsync(app, Roles.Ops, "ops-stopped-reading");
            stream = await reader.GetAsync("/v1/briefs/stream", HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, stream.StatusCode);

            // Far more briefs than the buffers between server and client take (the send buffer above, the 4 KiB receive
            // buffer, the server's 64 KiB response buffer), none read: the write to this client is stuck when the stop begins.
            await EveryNpsBriefs.WriteAsync(app, customers, 10);
        }
        finally
        {
            stop = Stopwatch.StartNew();
            await app.DisposeAsync();
            stop.Stop();
            stream?.Dispose();
            reader?.Dispose();
        }

        // The stream has StreamStopGrace (2 s) to end by itself; the bound leaves a slow machine room and is well under the 30 s it took.
        Assert.True(stop.Elapsed < TimeSpan.FromSeconds(20), $"the stop took {stop.Elapsed}");
        var messages = logs.Entries.Select(e => e.Message).ToList();
        Assert.Contains("Actor host drained: every actor deactivated", messages);
        Assert.DoesNotContain(messages, m => m.StartsWith("Actor host drain", StringComparison.Ordinal) && m.Contains("activations left", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ShutdownTimeout_CoversTheActorsDrainAndTheRestOfTheStop()
    {
        await using (var app = await AgentCrmApp.StartAsync())
            Assert.Equal(TimeSpan.FromSeconds(30) + AgentCrmServer.StopAfterDrain + AgentCrm.Webhooks.WebhookDispatcher.StopGrace, app.Services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout);
        await using (var app = await AgentCrmApp.StartAsync(settings: new Dictionary<string, string?> { ["Actors:DrainTimeout"] = "00:02:00" }))
            Assert.Equal(TimeSpan.FromMinutes(2) + AgentCrmServer.StopAfterDrain + AgentCrm.Webhooks.WebhookDispatcher.StopGrace, app.Services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout);
    }
}
