using System.Net;
using System.Net.Sockets;

namespace AgentCrm.Webhooks;

/// <summary>
/// Addresses a webhook must not reach when <see cref="WebhookOptions.AllowPrivateAddresses"/> is false: loopback, private
/// (RFC 1918, IPv6 unique local), link-local (cloud metadata services sit at 169.254.169.254), shared (100.64/10),
/// multicast (224/4, ff00::/8), reserved and broadcast (240/4, 255.255.255.255) and unspecified ones, IPv4-mapped,
/// IPv4-compatible (::/96), NAT64 and 6to4 IPv6 included. Checked on the addresses a host name resolves to at each connection, so a
/// name that later resolves elsewhere (DNS rebinding) is caught too.
/// </summary>
internal static class PrivateAddresses
{
    /// <summary>
    /// What <see cref="IsPrivate"/> refuses, in the words both refusals use: a URL's address literal at creation (400 naming
    /// <c>url</c>) and a host's addresses at each delivery (<c>lastError</c>), so a multicast or broadcast address is not
    /// told as "private, loopback or link-local" at one and named properly at the other.
    /// </summary>
    public const string Kinds = "private, loopback, link-local, shared, multicast, reserved, broadcast or unspecified";

    public static bool IsPrivate(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
            address = address.MapToIPv4();
        else if (Embedded(address) is { } inner)
            return IsPrivate(inner);
        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.IPv6None))
            return true;
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
            return address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6UniqueLocal || address.IsIPv6Multicast;
        var b = address.GetAddressBytes();
        // 224 and up: multicast (224/4), reserved (240/4) and the broadcast address, none of them a single host to post to.
        return b[0] is 0 or 10 or 127 or >= 224
            || (b[0] == 172 && b[1] is >= 16 and <= 31)
            || (b[0] == 192 && b[1] == 168)
            || (b[0] == 169 && b[1] == 254)
            || (b[0] == 100 && b[1] is >= 64 and <= 127);
    }

    /// <summary>
    /// The IPv4 address an IPv6 one carries to reach it through a translator: NAT64 (64:ff9b::/96, its last four bytes) and
    /// 6to4 (2002::/16, the four after the prefix). 64:ff9b::a9fe:a9fe reaches 169.254.169.254 on a host with NAT64. The
    /// deprecated IPv4-compatible form (::/96, e.g. ::127.0.0.1) is read as its last four bytes too: a stack that still
    /// routes it reaches that IPv4 address (:: and ::1 read as 0.0.0.0 and 0.0.0.1, refused all the same).
    /// </summary>
    private static IPAddress? Embedded(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
            return null;
        var b = address.GetAddressBytes();
        if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && b.AsSpan(4, 8).IndexOfAnyExcept((byte)0) < 0)
            return new IPAddress(b.AsSpan(12, 4));
        if (b.AsSpan(0, 12).IndexOfAnyExcept((byte)0) < 0)
            return new IPAddress(b.AsSpan(12, 4));
        if (b[0] == 0x20 && b[1] == 0x02)
            return new IPAddress(b.AsSpan(2, 4));
        return null;
    }

    /// <summary>Connects to the first public address <paramref name="context"/>'s host resolves to; none public → <see cref="PrivateAddressException"/>.</summary>
    public static async ValueTask<Stream> ConnectPublicAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);
        var allowed = addresses.Where(a => !IsPrivate(a)).ToArray();
        if (allowed.Length == 0)
            throw new PrivateAddressException(host);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}

/// <summary>A webhook's host resolved only to addresses <see cref="PrivateAddresses"/> refuses.</summary>
internal sealed class PrivateAddressException(string host)
    : Exception($"{host} resolves only to {PrivateAddresses.Kinds} addresses, which Webhooks:AllowPrivateAddresses=false refuses");
