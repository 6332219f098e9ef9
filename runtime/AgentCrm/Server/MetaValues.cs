using System.Globalization;
using AgentCrm.Storage;

namespace AgentCrm.Server;

/// <summary>Reads of the <c>meta</c> table (<see cref="ServerSchema"/>): counters and positions kept as text.</summary>
internal static class MetaValues
{
    /// <summary>The number stored under <paramref name="key"/>, or 0 when there is none.</summary>
    public static long ReadLong(SqliteDatabase database, string key)
    {
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT value FROM meta WHERE key = $k";
        cmd.Parameters.AddWithValue("$k", key);
        return cmd.ExecuteScalar() is string s ? long.Parse(s, CultureInfo.InvariantCulture) : 0;
    }
}
