using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using AgentCrm.Actors.Tests.Actors;

namespace AgentCrm.Actors.Tests.Dapr;

/// <summary>
/// The app side of the protocol sheet (§2, §6): our routes answer daprd's documented requests as
/// documented. Each test sends the request daprd sends, over loopback HTTP, to a real app.
/// </summary>
public sealed class DaprAppProtocolTests : IAsyncLifetime
{
    private const string AppToken = "app-token";
    private readonly TestDirectory _directory = new();
    private readonly HttpClient _daprd = new();
    private DaprHostUnderTest _host = null!;

    public async Task InitializeAsync()
    {
        var daprd = await FakeDaprd.StartAsync(new ManualTimeProvider(), appToken: AppToken);
        _host = await DaprHostUnderTest.StartAsync(_directory, new ManualTimeProvider(), new Probe(), daprd, new Dictionary<string, string?>
        {
            ["Dapr:AppApiToken"] = AppToken,
            ["Actors:IdleTimeout"] = "01:00:00",
            ["Actors:DrainTimeout"] = "00:00:30",
        });
        _daprd.BaseAddress = _host.Daprd.App;
        _daprd.DefaultRequestHeaders.Add("dapr-api-token", AppToken);
    }

    public async Task DisposeAsync()
    {
        _daprd.Dispose();
        await _host.DisposeAsync();
        _directory.Dispose();
    }

    [Fact]
    public async Task Config_AsDaprdReadsIt_Is200JsonWithEntitiesIdleDrainAndReentrancyOff()
    {
        using var response = await _daprd.GetAsync("/dapr/config");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        // The sheet's §2.2 example shape, with our actor type and settings.
        var expected = JsonNode.Parse("""
            {"entities":["probe"],"actorIdleTimeout":"1h","actorScanInterval":"30s","drainOngoingCallTimeout":"30s",
             "drainRebalancedActors":true,"reentrancy":{"enabled":false}}
            """);
        Assert.True(JsonNode.DeepEquals(expected, JsonNode.Parse(await response.Content.ReadAsStringAsync())), await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-token")]
    public async Task AppToken_MissingOrWrong_Is401OnEveryDaprdRoute(string? token)
    {
        using var anonymous = new HttpClient { BaseAddress = _host.Daprd.App };
        if (token is not null)
            anonymous.DefaultRequestHeaders.Add("dapr-api-token", token);

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/dapr/config")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PutAsync("/actors/probe/a/method/increment", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PutAsync("/actors/probe/a/method/remind/r", Json("{}"))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.DeleteAsync("/actors/probe/a")).StatusCode);
        Assert.Equal(0, _host.Probe.Activations(ProbeActor.For("a")));
    }

    [Theory]
    [InlineData("PUT")]
    [InlineData("POST")]
    public async Task Method_PutOrPost_Is200WithTheResultAsJson(string verb)
    {
        // daprd always sends PUT; POST (the docs' curl examples) is accepted too.
        _host.Daprd.MarkActive(ProbeActor.For("m-1"));
        using var set = await SendAsync(verb, "/actors/probe/m-1/method/set", "\"renewal\"");
        using var get = await SendAsync(verb, "/actors/probe/m-1/method/get", null);

        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal("application/json", get.Content.Headers.ContentType?.MediaType);
        Assert.Equal("\"renewal\"", await get.Content.ReadAsStringAsync());
        Assert.Equal(Encoding.UTF8.GetBytes("\"renewal\""), _host.Daprd.StateOf(ProbeActor.For("m-1"), "value"));
    }

    [Fact]
    public async Task Method_UnknownMethodOrType_Is404WhichDaprdTreatsAsPermanent()
    {
        using var method = await SendAsync("PUT", "/actors/probe/m-2/method/no-such-method", null);
        using var type = await SendAsync("PUT", "/actors/nobody/m-2/method/get", null);

        Assert.Equal(HttpStatusCode.NotFound, method.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, type.StatusCode);
        Assert.Equal(0, _host.Probe.Activations(ProbeActor.For("m-2")));
    }

    [Fact]
    public async Task Method_TurnThrows_Is200WithErrorResponseHeaderAndOurPayload()
    {
        _host.Daprd.MarkActive(ProbeActor.For("m-3"));
        using var response = await SendAsync("PUT", "/actors/probe/m-3/method/set-then-throw", "\"lost\"");

        // Sheet §2.3: a 200 carrying X-DaprErrorResponseHeader is relayed to the caller unchanged.
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Headers.Contains("X-DaprErrorResponseHeader"));
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("System.InvalidOperationException", error["exceptionType"]!.GetValue<string>());
        Assert.Equal("The turn failed on purpose.", error["message"]!.GetValue<string>());
        Assert.Null(_host.Daprd.StateOf(ProbeActor.For("m-3"), "value"));
    }

    [Theory]
    [InlineData("append", "\"not a number\"")]
    [InlineData("remind", "null")]
    [InlineData("remind", null)]
    [InlineData("remind", "{}")]
    [InlineData("remind", """{"name":null,"dueTime":"00:01:00","period":null}""")]
    [InlineData("remind", """{"name":"nudge","period":null}""")]
    public async Task Method_ArgumentNotOfDeclaredTypeOrMissing_Is400(string method, string? body)
    {
        using var response = await SendAsync("PUT", $"/actors/probe/m-4/method/{method}", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(0, _host.Probe.Activations(ProbeActor.For("m-4")));
    }

    /// <summary>The reminder callback bodies of dapr/dapr tests/integration/suite/actors/reminders/hdata.go and data.go: data echoed verbatim.</summary>
    [Theory]
    [InlineData("""{"data":{"foo":[12,4]},"dueTime":"","period":""}""", """{"foo":[12,4]}""")]
    [InlineData("""{"data":"foo","dueTime":"","period":""}""", "\"foo\"")]
    [InlineData("""{"data":123,"dueTime":"","period":""}""", "123")]
    [InlineData("""{"data":[1,"two"],"dueTime":"","period":""}""", """[1,"two"]""")]
    [InlineData("""{"data":true,"dueTime":"","period":""}""", "true")]
    [InlineData("""{"data":null,"dueTime":"","period":""}""", "null")]
    [InlineData("""{"data":"bXlkYXRh","dueTime":"","period":""}""", "\"bXlkYXRh\"")]
    [InlineData("""{"dueTime":"","period":""}""", null)]
    public async Task Reminder_CallbackBody_Is200AndTheActorGetsTheDataVerbatim(string body, string? data)
    {
        using var response = await SendAsync("PUT", "/actors/probe/r-1/method/remind/rescore", body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["rescore"], _host.Probe.Reminders(ProbeActor.For("r-1")));
        Assert.Equal(data, Assert.Single(_host.Probe.CallbackData));
        // Reminders fire on inactive actors: the callback activated it.
        Assert.Equal(1, _host.Probe.Activations(ProbeActor.For("r-1")));
    }

    [Fact]
    public async Task Timer_CallbackBody_Is200AndTheActorGetsTheData()
    {
        // dapr/dapr tests/integration/suite/actors/timers/hdata.go.
        using var response = await SendAsync("PUT", "/actors/probe/t-1/method/timer/poll", """{"data":"foo","callback":"","dueTime":"0s","period":""}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["poll"], _host.Probe.Timers(ProbeActor.For("t-1")));
        Assert.Equal("\"foo\"", Assert.Single(_host.Probe.CallbackData));
    }

    [Fact]
    public async Task Deactivate_ActiveOrUnknownActor_IsAlways200AndIgnoresProtobufContentType()
    {
        var id = ProbeActor.For("d-1");
        using (await SendAsync("PUT", "/actors/probe/d-1/method/increment", null))
        {
        }
        using var request = new HttpRequestMessage(HttpMethod.Delete, "/actors/probe/d-1") { Content = new ByteArrayContent([]) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");

        using var active = await _daprd.SendAsync(request);
        using var again = await _daprd.DeleteAsync("/actors/probe/d-1");
        using var unknownType = await _daprd.DeleteAsync("/actors/nobody/d-1");

        Assert.Equal(HttpStatusCode.OK, active.StatusCode);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(HttpStatusCode.OK, unknownType.StatusCode);
        Assert.Equal(1, _host.Probe.Deactivations(id));
        Assert.Equal(0, _host.ActiveActivations);
    }

    private Task<HttpResponseMessage> SendAsync(string verb, string path, string? body) =>
        _daprd.SendAsync(new HttpRequestMessage(new HttpMethod(verb), path) { Content = body is null ? null : Json(body) });

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}
