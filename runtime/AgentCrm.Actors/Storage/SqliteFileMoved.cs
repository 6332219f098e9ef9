using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;

namespace AgentCrm.Storage;

/// <summary>
/// Whether the database file a connection has open is still the one at its path. A file deleted, moved away or replaced
/// (a new empty file put there, or created by a connection opened after the deletion) under a running server: SQLite in WAL
/// mode goes on committing into the file it holds, which the next stop loses. <c>SQLITE_FCNTL_HAS_MOVED</c> compares the
/// open file with the path (the inode on Unix); SQLitePCLRaw does not expose <c>sqlite3_file_control</c>, so it is called
/// in the same native library the provider loads.
/// </summary>
internal static class SqliteFileMoved
{
    private const int SqliteFcntlHasMoved = 20;
    private const int SqliteOk = 0;
    private static readonly byte[] Main = "main\0"u8.ToArray();
    private static volatile bool s_unavailable;
    private static volatile bool s_providerChecked;

    /// <summary>True when the file is no longer at the path; falls back to the path's existence where the call is unavailable.</summary>
    public static bool Check(SqliteConnection connection, string path)
    {
        if (!s_providerChecked)
        {
            // Only into the library the provider itself loaded: another provider's connection handle means nothing to e_sqlite3.
            try
            {
                s_unavailable |= SQLitePCL.raw.GetNativeLibraryName() != "e_sqlite3";
            }
            catch (Exception)
            {
                s_unavailable = true;
            }
            s_providerChecked = true;
        }
        if (!s_unavailable)
        {
            try
            {
                var handle = connection.Handle!.DangerousGetHandle();
                if (FileControl(handle, Main, SqliteFcntlHasMoved, out var moved) == SqliteOk)
                    return moved != 0;
            }
            catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
            {
                s_unavailable = true;
            }
        }
        return !File.Exists(path);
    }

    [DllImport("e_sqlite3", EntryPoint = "sqlite3_file_control", ExactSpelling = true)]
    private static extern int FileControl(IntPtr db, byte[] schema, int op, out int result);
}
