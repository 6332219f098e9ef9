using System.Globalization;

namespace AgentCrm.Runtime.Tests.Server;

/// <summary>
/// The TCP port a child process listens on, read from /proc (Linux). A server started on port 0 binds a port the kernel
/// picks for it: nothing can take it first, as could happen to a port a test picked free and released for the child to bind
/// (another test's server, or an outgoing connection, took it meanwhile: the child failed to start, or the test's readiness
/// check was answered by another test's server).
/// </summary>
public static class ListeningPort
{
    /// <summary>The port process <paramref name="pid"/> listens on (IPv4), or null while it listens on none.</summary>
    public static int? Of(int pid)
    {
        var sockets = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            foreach (var fd in Directory.EnumerateFiles($"/proc/{pid}/fd"))
            {
                try
                {
                    if (new FileInfo(fd).LinkTarget is { } target && target.StartsWith("socket:[", StringComparison.Ordinal))
                        sockets.Add(target["socket:[".Length..^1]);
                }
                catch (IOException)
                {
                    // Closed meanwhile.
                }
            }
            // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...; st 0A is LISTEN.
            foreach (var line in File.ReadLines($"/proc/{pid}/net/tcp").Skip(1))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length > 9 && fields[3] == "0A" && sockets.Contains(fields[9]))
                    return int.Parse(fields[1][(fields[1].IndexOf(':', StringComparison.Ordinal) + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The process has ended (its /proc folder is gone).
        }
        return null;
    }
}
