using AgentCrm.Storage;
using Microsoft.Data.Sqlite;

namespace AgentCrm.Sandbox;

/// <summary>What a user reads of a job's failure: a full or failing disk told as such, with what to do; any other failure's own message.</summary>
internal static class JobFailures
{
    /// <summary>
    /// The job's <c>error</c> for <paramref name="ex"/>. A failure for want of storage (<see cref="SqliteWriter.IsStorageFailure"/>)
    /// names the full (or failing) disk and says what to do, the SQLite message in parentheses, and what
    /// the run stored before it (a fit's registered version: <see cref="RunPartlyStoredException"/>), when anything.
    /// </summary>
    public static string Describe(Exception ex)
    {
        if (!SqliteWriter.IsStorageFailure(ex))
            return SandboxJobs.Readable(ex);
        var cause = Innermost(ex).Message.TrimEnd('.');
        var stored = (ex as RunPartlyStoredException)?.Kept ?? "nothing of this run was kept";
        return IsDiskFull(ex)
            ? $"The disk holding the server's data directory is full ({cause}): {stored}. Free space on that disk (not by deleting agentcrm.db-wal or -shm), then run it again."
            : $"The server's storage failed ({cause}): {stored}. Check the disk holding the data directory, then run it again.";
    }

    /// <summary>SQLITE_FULL, SQLITE_IOERR_SHMSIZE (a full disk met opening a database) or ENOSPC, anywhere in the chain.</summary>
    public static bool IsDiskFull(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is SqliteException s && ((s.SqliteErrorCode & 0xFF) == SqliteFull || s.SqliteExtendedErrorCode == SqliteIoErrShmSize))
                return true;
            if (e is IOException { HResult: 28 or unchecked((int)0x80070070) or unchecked((int)0x80070027) })
                return true;
        }
        return false;
    }

    /// <summary>The storage failure itself (a SQLite or I/O exception) rather than what wraps it.</summary>
    private static Exception Innermost(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
            if (e is SqliteException or IOException)
                return e;
        return ex;
    }

    private const int SqliteFull = 13;
    private const int SqliteIoErrShmSize = 10 | (19 << 8);
}

/// <summary>A run that failed for want of storage after it had stored part of its work, which stays (<see cref="Kept"/>: what, and what to do with it).</summary>
internal sealed class RunPartlyStoredException(string kept, Exception inner) : Exception(inner.Message, inner)
{
    public string Kept { get; } = kept;
}
