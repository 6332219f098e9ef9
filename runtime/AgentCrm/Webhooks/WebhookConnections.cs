using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace AgentCrm.Webhooks;

/// <summary>
/// How the dispatcher's client connects, and how an attempt learns whether it opened a connection or was given a pooled
/// one. A pooled connection may have been closed by the receiver just as it was handed out (an HTTP/1.0 receiver closes
/// after each response; an HTTP/1.1 one when its keep-alive ends): a request sent on it never reaches the receiver, and is
/// sent again at once rather than counted as the receiver's failure.
/// </summary>
internal static class WebhookConnections
{
    /// <summary>Set on a request before it is sent; the connect callback marks it when the request opens a connection.</summary>
    public static readonly HttpRequestOptionsKey<StrongBox<bool>> Opened = new("AgentCrm.Webhooks.OpenedConnection");

    /// <summary>Connects as the handler would (or to public addresses only), and marks the request that asked for the connection.</summary>
    public static Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> Callback(bool allowPrivateAddresses) =>
        async (context, ct) =>
        {
            if (context.InitialRequestMessage.Options.TryGetValue(Opened, out var opened))
                Volatile.Write(ref opened.Value, true);
            return allowPrivateAddresses ? await ConnectAsync(context, ct) : await PrivateAddresses.ConnectPublicAsync(context, ct);
        };

    /// <summary>SocketsHttpHandler's own connect: any address the host resolves to, no Nagle.</summary>
    private static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(context.DnsEndPoint, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Whether <paramref name="ex"/> is a connection that ended before any answer (closed or reset by the receiver) rather
    /// than one refused, timed out or answered badly.
    /// </summary>
    public static bool EndedBeforeAnswer(HttpRequestException ex)
    {
        if (ex.HttpRequestError == HttpRequestError.ResponseEnded)
            return true;
        for (Exception? e = ex.InnerException; e is not null; e = e.InnerException)
            if (e is SocketException { SocketErrorCode: SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown })
                return true;
        return false;
    }
}
