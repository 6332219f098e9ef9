using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentCrm.Actors.Tests.Actors;
using AgentCrm.Dapr;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace AgentCrm.Actors.Tests.Dapr;

/// <summary>
/// Differential tests against Dapr's official JavaScript SDK (@dapr/dapr 3.18.0, an independent
/// implementation of both sides of the protocol): the same operations through its actor client and
/// through our sidecar client must produce the same requests to daprd; the same daprd-style requests to
/// its actor app and to ours must get the same answers. Where they differ by design, the test pins the
/// difference and the README explains it in the protocol sheet's terms.
/// </summary>
public sealed class DaprJsDifferentialTests(ITestOutputHelper output)
{
    private static readonly ActorId Customer = new("CustomerActor", "c-1");

    [Fact]
    public async Task SidecarClient_SameOperationsAsJsSdkActorClient_SendTheSameRequests()
    {
        await using var jsDaprd = await RecordingDaprd.StartAsync();
        await using var ourDaprd = await RecordingDaprd.StartAsync();

        var (exit, _, stderr) = await DaprJs.RunAsync("client.js", jsDaprd.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(exit == 0, $"dapr-js/client.js failed: {stderr}");
        var ours = new DaprSidecarClient(new HttpClient(), new DaprOptions { HttpEndpoint = ourDaprd.Endpoint.ToString(), ApiToken = "tok" }, NullLogger<DaprSidecarClient>.Instance);
        await ours.SidecarReady;
        await ours.InvokeActorMethodAsync(Customer, "Handle", """{"id":"e1"}"""u8.ToArray(), CancellationToken.None);
        await ours.SaveStateAsync(Customer, [new StateChange("k", """{"a":1}"""u8.ToArray()), new StateChange("old", null)], CancellationToken.None);
        await ours.GetStateAsync(Customer, "k", CancellationToken.None);
        await ours.RegisterReminderAsync(Customer, "rescore", TimeSpan.FromSeconds(10), TimeSpan.FromHours(24), JsonDocument.Parse("""{"why":"renewal"}""").RootElement, CancellationToken.None);
        await ours.UnregisterReminderAsync(Customer, "rescore", CancellationToken.None);

        var js = jsDaprd.ActorCalls;
        var we = ourDaprd.ActorCalls;
        foreach (var (j, o) in js.Zip(we))
            output.WriteLine($"JS  {j.Method} {j.Path} [{j.ContentType}] {j.Body}\nOUR {o.Method} {o.Path} [{o.ContentType}] {o.Body}");
        Assert.Equal(5, js.Length);
        Assert.Equal(5, we.Length);
        foreach (var (j, o) in js.Zip(we))
        {
            Assert.Equal(j.Method, o.Method);
            Assert.Equal(j.Path, o.Path);
            Assert.Equal("tok", j.Token);
            Assert.Equal("tok", o.Token);
            Assert.True(SameJson(j.Body, o.Body), $"{j.Method} {j.Path}: JS sent {j.Body}, we sent {o.Body}");
            if (j.Body.Length > 0)
                Assert.Equal(MediaType(j.ContentType), MediaType(o.ContentType));
        }
        // Waiting for the sidecar is the one place they differ: JS polls GET /v1.0/metadata, we poll daprd's outbound health.
        Assert.Equal("/v1.0/metadata", jsDaprd.Requests.First().Path);
        Assert.Equal("/v1.0/healthz/outbound", ourDaprd.Requests.First().Path);
    }

    [Fact]
    public async Task ActorApp_SameDaprdRequestsAsToJsSdkApp_GetTheSameAnswers()
    {
        var time = new ManualTimeProvider();
        using var directory = new TestDirectory();
        await using var jsDaprd = await FakeDaprd.StartAsync(time);
        await using var ours = await DaprHostUnderTest.StartAsync(directory, time, new Probe());
        var (jsApp, jsPort) = await DaprJs.StartServerOnFreePortAsync("app.js", jsDaprd.Endpoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var jsAppProcess = jsApp;
        try
        {
            await jsDaprd.ConnectAppAsync(new Uri($"http://127.0.0.1:{jsPort}/"));
            using var toJs = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{jsPort}/") };
            using var toOurs = new HttpClient { BaseAddress = ours.Daprd.App };
            var id = ProbeActor.For("a-1");
            // Both "daprd"s hold the actor as active, as they would while running its turns.
            jsDaprd.MarkActive(id);
            ours.Daprd.MarkActive(id);

            foreach (var (verb, path, body, expect) in Requests)
            {
                var js = await SendAsync(toJs, verb, path, body);
                var our = await SendAsync(toOurs, verb, path, body);
                output.WriteLine($"{verb} {path}\n  JS  {js.Status} [{js.ContentType}] {Shorten(js.Body)}\n  OUR {our.Status} [{our.ContentType}] {Shorten(our.Body)}");
                switch (expect)
                {
                    case Same.StatusAndJsonBody:
                        Assert.Equal(js.Status, our.Status);
                        Assert.True(SameJson(js.Body, our.Body), $"{verb} {path}: JS answered {js.Body}, we answered {our.Body}");
                        break;
                    case Same.Status:
                        Assert.Equal(js.Status, our.Status);
                        break;
                    case Same.Config:
                        Assert.Equal((200, "application/json"), (js.Status, js.ContentType));
                        Assert.Equal((200, "application/json"), (our.Status, our.ContentType));
                        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(js.Body)!["entities"], JsonNode.Parse(our.Body)!["entities"]), $"entities differ: {js.Body} vs {our.Body}");
                        break;
                    case Same.JsRejectsJsonStringBody:
                        // README "Differences from the JavaScript SDK": its express app parses bodies strictly (objects and arrays only).
                        Assert.Equal(400, js.Status);
                        Assert.Equal(200, our.Status);
                        break;
                    case Same.UnknownMethodIs404ForUs:
                        // Sheet §2.3: 404 is daprd's permanent "method not found"; the SDK answers 500, which daprd wraps as ERR_ACTOR_INVOKE_METHOD.
                        Assert.Equal(500, js.Status);
                        Assert.Equal(404, our.Status);
                        break;
                    case Same.DeactivateUnknownIs200ForUs:
                        // Sheet §2.6: DELETE must answer 200 even for an actor that is not active; the SDK's app does not.
                        Assert.NotEqual(200, js.Status);
                        Assert.Equal(200, our.Status);
                        break;
                }
            }
        }
        finally
        {
            jsApp.Kill(entireProcessTree: true);
        }
    }

    private enum Same
    {
        StatusAndJsonBody,
        Status,
        Config,
        JsRejectsJsonStringBody,
        UnknownMethodIs404ForUs,
        DeactivateUnknownIs200ForUs,
    }

    private static readonly (string Verb, string Path, string? Body, Same Expect)[] Requests =
    [
        ("GET", "dapr/config", null, Same.Config),
        ("PUT", "actors/probe/a-1/method/increment", null, Same.StatusAndJsonBody),
        ("PUT", "actors/probe/a-1/method/increment", null, Same.StatusAndJsonBody),
        ("PUT", "actors/probe/a-1/method/set", "\"renewal\"", Same.JsRejectsJsonStringBody),
        ("PUT", "actors/probe/a-1/method/remind/rescore", """{"data":{"foo":[12,4]},"dueTime":"","period":""}""", Same.StatusAndJsonBody),
        ("PUT", "actors/probe/a-1/method/timer/poll", """{"data":"foo","callback":"onTimer","dueTime":"0s","period":""}""", Same.StatusAndJsonBody),
        ("PUT", "actors/probe/a-1/method/increment", null, Same.StatusAndJsonBody),
        ("PUT", "actors/probe/a-1/method/no-such-method", null, Same.UnknownMethodIs404ForUs),
        ("DELETE", "actors/probe/a-1", null, Same.Status),
        ("DELETE", "actors/probe/never-active", null, Same.DeactivateUnknownIs200ForUs),
    ];

    private static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "…";

    private static async Task<(int Status, string? ContentType, string Body)> SendAsync(HttpClient client, string verb, string path, string? body)
    {
        using var request = new HttpRequestMessage(new HttpMethod(verb), path);
        if (body is not null)
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        try
        {
            using var response = await client.SendAsync(request);
            return ((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsStringAsync());
        }
        catch (HttpRequestException ex)
        {
            // The connection closed without an answer: status 0.
            return (0, null, ex.Message);
        }
    }

    private static string? MediaType(string? contentType) => contentType?.Split(';')[0].Trim();

    private static bool SameJson(string a, string b) =>
        (a.Length == 0 && b.Length == 0) || (a.Length > 0 && b.Length > 0 && JsonNode.DeepEquals(JsonNode.Parse(a), JsonNode.Parse(b)));
}
