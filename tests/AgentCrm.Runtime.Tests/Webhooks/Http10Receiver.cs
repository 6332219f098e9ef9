using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace AgentCrm.Runtime.Tests.Webhooks;

/// <summary>
/// A receiver as Python's <c>http.server</c> is one: it answers <c>HTTP/1.0 200</c> without <c>Connection: keep-alive</c>,
/// so the connection is done after each response. Its close is made to lose the race with the client's next request every
/// time, without a clock: the connection stays open until more bytes come, and a request sent on it is dropped unanswered
/// (a closed socket's fate) and counted in <see cref="OnClosedConnection"/>.
/// </summary>
public sealed class Http10Receiver : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    /// <summary>Delivery ids of the requests answered 200, in arrival order.</summary>
    public ConcurrentQueue<string> Answered { get; } = new();

    /// <summary>Requests that came on a connection already answered once (HTTP/1.0: closed), left unanswered.</summary>
    public int OnClosedConnection;

    public string Url { get; }

    public Http10Receiver()
    {
        _listener.Start();
        Url = $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/hook";
        _accepting = AcceptAsync();
    }

    private async Task AcceptAsync()
    {
        var connections = new List<Task>();
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                connections.Add(ServeAsync(client));
            }
        }
        catch (OperationCanceledException)
        {
        }
        await Task.WhenAll(connections);
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        var stream = client.GetStream();
        try
        {
            var head = await ReadHeadAsync(stream);
            if (head is null)
                return;
            var length = Header(head, "Content-Length") is { } value ? int.Parse(value, System.Globalization.CultureInfo.InvariantCulture) : 0;
            await stream.ReadExactlyAsync(new byte[length], _stop.Token);
            Answered.Enqueue(Header(head, "X-AgentCrm-Delivery") ?? "");
            await stream.WriteAsync("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"u8.ToArray(), _stop.Token);
            await stream.FlushAsync(_stop.Token);
            // Done with this connection: anything sent on it now reaches a closed socket.
            if (await stream.ReadAsync(new byte[1], _stop.Token) > 0)
                Interlocked.Increment(ref OnClosedConnection);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or SocketException)
        {
        }
    }

    private async Task<string?> ReadHeadAsync(NetworkStream stream)
    {
        var head = new StringBuilder();
        var one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await stream.ReadAsync(one, _stop.Token) == 0)
                return null;
            head.Append((char)one[0]);
        }
        return head.ToString();
    }

    private static string? Header(string head, string name) =>
        head.Split("\r\n").Select(l => l.Split(':', 2)).FirstOrDefault(p => p.Length == 2 && p[0].Trim().Equals(name, StringComparison.OrdinalIgnoreCase))?[1].Trim();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}
