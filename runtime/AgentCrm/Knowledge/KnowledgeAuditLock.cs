using AgentCrm.Server;

namespace AgentCrm.Knowledge;

/// <summary>
/// Keeps the knowledge audit's reconciliation away from changes in flight, across processes on one data directory:
/// <c>knowledge-audit.lock</c> beside the catalog is held SHARED by every knowledge change (an HTTP ingest or delete, a
/// CLI ingest) from before it stores until its audit records are appended, and EXCLUSIVE by a reconciliation, which never
/// waits for it: while a change holds it, that change's documents are stored and not yet recorded, and a reconciliation
/// would record them as recovered, losing who made the change. An OS file lock (flock LOCK_SH / LOCK_EX on Unix, what
/// FileStream takes for a share mode other than None / for None; share modes on Windows): the OS drops it when its holder
/// ends, even by <c>kill -9</c>, so what a killed ingest stored is reconciled by the next one to try.
/// </summary>
internal static class KnowledgeAuditLock
{
    public const string FileName = "knowledge-audit.lock";
    private static readonly TimeSpan RetryInterval = TimeSpan.FromMilliseconds(25);

    /// <summary>A change's hold, taken once no reconciliation runs (one is short). Disposed after the change's records are appended.</summary>
    public static async Task<IDisposable> ChangeAsync(string directory, CancellationToken cancellationToken)
    {
        var path = Path.Combine(directory, FileName);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.Read, FileShare.ReadWrite);
            }
            catch (IOException ex) when (DataDirectoryLock.HeldByAnother(ex))
            {
                // A reconciliation holds it (in this process or another). Real time: its holder may be another process.
                await Task.Delay(RetryInterval, cancellationToken);
            }
        }
    }

    /// <summary>The reconciliation's hold, or null at once when a change holds the lock (or another reconciliation does).</summary>
    public static IDisposable? TryReconcile(string directory)
    {
        try
        {
            return new FileStream(Path.Combine(directory, FileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException ex) when (DataDirectoryLock.HeldByAnother(ex))
        {
            return null;
        }
    }
}
