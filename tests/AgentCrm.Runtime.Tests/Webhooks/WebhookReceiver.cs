using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AgentCrm.Runtime.Tests.Webhooks;

/// <summary>One request the receiver got: its headers of interest and its raw body.</summary>
public sealed record ReceivedWebhook(string? DeliveryId, string? Event, string? Signature, string? ContentType, byte[] Body, int Answered)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement.Clone();
}

/// <summary>
/// A webhook receiver on a real loopback port, as a customer would run one: it answers 503 to the first
/// <see cref="FailFirst"/> attempts (or while <see cref="Down"/>, but for the requests <see cref="Pass"/> lets through), 200
/// otherwise, and dedupes accepted deliveries by id.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _attempts;

    public ConcurrentQueue<ReceivedWebhook> Attempts { get; } = new();

    /// <summary>Accepted deliveries, the first of each id only, in arrival order.</summary>
    public ConcurrentQueue<ReceivedWebhook> Accepted { get; } = new();

    private readonly ConcurrentDictionary<string, bool> _seen = new(StringComparer.Ordinal);

    /// <summary>Accepted deliveries whose id had been accepted before (the receiver's dedupe caught them).</summary>
    public int Redelivered;

    public int FailFirst { get; set; }

    private int _passes;

    /// <summary>Lets the next <paramref name="count"/> requests through while <see cref="Down"/> (a receiver that is up now and then).</summary>
    public void Pass(int count) => Interlocked.Add(ref _passes, count);

    private bool TakePass()
    {
        int left;
        do
        {
            left = Volatile.Read(ref _passes);
            if (left <= 0)
                return false;
        }
        while (Interlocked.CompareExchange(ref _passes, left - 1, left) != left);
        return true;
    }

    public volatile bool Down;

    /// <summary>How long the receiver takes before it answers (a slow or hung endpoint).</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>Answers and records a request whose sender gave up waiting, as a receiver that does not watch the connection does.</summary>
    public bool IgnoresAborts { get; set; }

    /// <summary>Requests whose body has arrived (answered or not yet).</summary>
    public int Arrived;

    public string Url { get; }

    private WebhookReceiver(WebApplication app, string url)
    {
        _app = app;
        Url = url;
    }

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        WebhookReceiver? receiver = null;
        app.MapPost("/hook", async (HttpContext context) =>
        {
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer);
            var r = receiver!;
            Interlocked.Increment(ref r.Arrived);
            if (r.Delay > TimeSpan.Zero)
                await Task.Delay(r.Delay, r.IgnoresAborts ? CancellationToken.None : context.RequestAborted);
            var attempt = Interlocked.Increment(ref r._attempts);
            var status = (r.Down && !r.TakePass()) || attempt <= r.FailFirst ? 503 : 200;
            var got = new ReceivedWebhook(context.Request.Headers["X-AgentCrm-Delivery"], context.Request.Headers["X-AgentCrm-Event"],
                context.Request.Headers["X-AgentCrm-Signature"], context.Request.ContentType, buffer.ToArray(), status);
            r.Attempts.Enqueue(got);
            if (status == 200)
            {
                if (r._seen.TryAdd(got.DeliveryId ?? "", true))
                    r.Accepted.Enqueue(got);
                else
                    Interlocked.Increment(ref r.Redelivered);
            }
            return Results.StatusCode(status);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver = new WebhookReceiver(app, address + "/hook");
        return receiver;
    }

    /// <summary>Waits until <paramref name="count"/> distinct deliveries were accepted.</summary>
    public async Task<List<ReceivedWebhook>> WaitForAsync(int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (Accepted.Count < count)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Expected {count} accepted webhook deliveries; got {Accepted.Count} after {Attempts.Count} attempts.");
            await Task.Delay(20);
        }
        return [.. Accepted];
    }

    /// <summary>
    /// Checks the signature header as the README tells a receiver to: HMAC-SHA256 over "t.body" with the secret, compared in
    /// constant time with each <c>v1</c> (during a secret rotation there are two); any match verifies.
    /// </summary>
    public static bool Verifies(ReceivedWebhook got, string secret, TimeSpan tolerance)
    {
        if (Timestamp(got) is not { } seconds || Math.Abs(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - seconds) > tolerance.TotalSeconds)
            return false;
        var expected = Convert.FromHexString(Expected(got, secret));
        return Signatures(got).Any(v1 => v1.Length == 64 && CryptographicOperations.FixedTimeEquals(expected, Convert.FromHexString(v1)));
    }

    /// <summary>The header's <c>t</c>, or null.</summary>
    public static long? Timestamp(ReceivedWebhook got) =>
        Parts(got).FirstOrDefault(p => p[0] == "t") is { } t && long.TryParse(t[1], out var seconds) ? seconds : null;

    /// <summary>The header's <c>v1</c> values, in order.</summary>
    public static List<string> Signatures(ReceivedWebhook got) => [.. Parts(got).Where(p => p[0] == "v1").Select(p => p[1])];

    /// <summary>The <c>v1</c> that <paramref name="secret"/> gives for this request's <c>t</c> and body (hex).</summary>
    public static string Expected(ReceivedWebhook got, string secret)
    {
        byte[] signed = [.. Encoding.ASCII.GetBytes(Timestamp(got) + "."), .. got.Body];
        return Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed));
    }

    private static IEnumerable<string[]> Parts(ReceivedWebhook got) =>
        (got.Signature ?? "").Split(',').Select(p => p.Split('=', 2)).Where(p => p.Length == 2);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
