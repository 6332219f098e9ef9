using AgentCrm.Storage;
using Microsoft.Extensions.Options;

namespace AgentCrm.Server;

/// <summary>
/// One server per data directory: <c>serve.lock</c> in it is held exclusively (an OS file lock, released when the process
/// ends, even by <c>kill -9</c>) from the first thing the server starts until it stops. A second `agentcrm serve` on the
/// same directory refuses to start instead of delivering the same inbox and resuming the same sandbox jobs twice.
/// The lock is taken when this service is created — the first hosted service, created before any other (and before the
/// database opens and migrates), since the host creates them all before starting the first.
/// The CLI's other commands do not take it: they may run beside a server.
/// </summary>
internal sealed class DataDirectoryLock : IHostedService, IDisposable
{
    public const string FileName = "serve.lock";

    private FileStream? _lock;

    public DataDirectoryLock(IOptions<StorageOptions> storage)
    {
        var directory = Path.GetFullPath(storage.Value.DataDirectory);
        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new DatabaseFileException($"cannot create the data directory {directory}: {ex.Message.TrimEnd().TrimEnd('.')}. Create it, writable by the user running agentcrm, or choose another --data.");
        }
        var path = Path.Combine(directory, FileName);
        try
        {
            _lock = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (UnauthorizedAccessException)
        {
            throw new DatabaseFileException($"cannot create or open {path}: the data directory or the file is read-only for this user; make them writable by the user running agentcrm, or choose another --data.");
        }
        catch (IOException ex) when (HeldByAnother(ex))
        {
            throw new DataDirectoryInUseException($"Another agentcrm server is using the data directory {directory} (it holds {FileName}); stop it or choose another --data.");
        }
        catch (IOException ex)
        {
            // A read-only mount (EROFS), a full disk (ENOSPC), an I/O error: not another server.
            throw new DatabaseFileException($"cannot create or open {path} ({ex.Message.TrimEnd('.')}): the file system holding the data directory is read-only, full or failing; make it writable, with free space, or choose another --data.");
        }
    }

    /// <summary>The lock is taken: EWOULDBLOCK (Linux 11, macOS 35) from flock, or a sharing or lock violation on Windows.</summary>
    internal static bool HeldByAnother(IOException ex) =>
        ex.HResult is 11 or 35 or unchecked((int)0x80070020) or unchecked((int)0x80070021);

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _lock?.Dispose();
        _lock = null;
    }
}

/// <summary>A second server on a data directory a server holds: a user's mistake, told in one line.</summary>
public sealed class DataDirectoryInUseException(string message) : InvalidOperationException(message);
