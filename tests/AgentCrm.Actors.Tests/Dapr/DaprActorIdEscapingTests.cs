using System.Net;
using System.Text;
using AgentCrm.Actors.Tests.Actors;

namespace AgentCrm.Actors.Tests.Dapr;

/// <summary>
/// Actor ids holding characters daprd escapes in the app's URL (sheet §2.3: "Path segments are the caller's, URL-escaped;
/// decode them"), through the route shapes of §6: each is decoded exactly once, so the actor is the caller's id and the
/// app's own calls to daprd name it escaped once.
/// </summary>
public sealed class DaprActorIdEscapingTests : IAsyncLifetime
{
    private readonly TestDirectory _directory = new();
    private readonly HttpClient _daprd = new();
    private DaprHostUnderTest _host = null!;

    public async Task InitializeAsync()
    {
        var daprd = await FakeDaprd.StartAsync(new ManualTimeProvider());
        _host = await DaprHostUnderTest.StartAsync(_directory, new ManualTimeProvider(), new Probe(), daprd);
        _daprd.BaseAddress = _host.Daprd.App;
    }

    public async Task DisposeAsync()
    {
        _daprd.Dispose();
        await _host.DisposeAsync();
        _directory.Dispose();
    }

    /// <summary>The id, and how daprd puts it in the app's URL (Go's url.PathEscape: a slash and a percent sign escaped).</summary>
    public static TheoryData<string, string> Ids => new()
    {
        { "x/y", "x%2Fy" },
        { "a%2Fb", "a%252Fb" },
        { "tenant/c 1", "tenant%2Fc%201" },
    };

    [Theory]
    [MemberData(nameof(Ids))]
    public async Task Method_IdWithAnEscapedSlash_ReachesTheActorDecodedOnce_AndItsStateCallEscapesItOnce(string id, string inUrl)
    {
        using var response = await SendAsync("PUT", $"/actors/probe/{inUrl}/method/get", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, _host.Probe.Activations(ProbeActor.For(id)));
        Assert.Contains($"/v1.0/actors/probe/{Uri.EscapeDataString(id)}/state/value", _host.Daprd.RawTargets);
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public async Task ReminderTimerAndDeactivation_IdWithAnEscapedSlash_ReachTheActorDecodedOnce(string id, string inUrl)
    {
        using var reminder = await SendAsync("PUT", $"/actors/probe/{inUrl}/method/remind/re%2Fscore", """{"dueTime":"","period":""}""");
        using var timer = await SendAsync("PUT", $"/actors/probe/{inUrl}/method/timer/poll", """{"data":"foo","callback":"","dueTime":"0s","period":""}""");
        using var deactivate = await _daprd.DeleteAsync($"/actors/probe/{inUrl}");

        Assert.Equal(HttpStatusCode.OK, reminder.StatusCode);
        Assert.Equal(HttpStatusCode.OK, timer.StatusCode);
        Assert.Equal(HttpStatusCode.OK, deactivate.StatusCode);
        Assert.Equal(["re/score"], _host.Probe.Reminders(ProbeActor.For(id)));
        Assert.Equal(["poll"], _host.Probe.Timers(ProbeActor.For(id)));
        Assert.Equal(1, _host.Probe.Deactivations(ProbeActor.For(id)));
    }

    private Task<HttpResponseMessage> SendAsync(string verb, string path, string? body) =>
        _daprd.SendAsync(new HttpRequestMessage(new HttpMethod(verb), path) { Content = body is null ? null : new StringContent(body, Encoding.UTF8, "application/json") });
}
