using AgentCrm.Server;
using AgentCrm.Storage;

namespace AgentCrm.Intake;

/// <summary>The dispatcher's watermark in <c>meta</c>: every inbox event at or below it has been processed.</summary>
internal sealed class WatermarkTable(SqliteDatabase database, SqliteWriter writer)
{
    private const string WatermarkKey = "dispatch.watermark";

    public long Read() => MetaValues.ReadLong(database, WatermarkKey);

    /// <summary>Saves the watermark; false when the write failed (a full disk): the loop saves it again.</summary>
    public async Task<bool> SaveAsync(long watermark)
    {
        try
        {
            await writer.WriteAsync(ctx => ctx.Execute(
                "INSERT INTO meta (key, value) VALUES ($k, $v) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                ("$k", WatermarkKey), ("$v", watermark.ToString(System.Globalization.CultureInfo.InvariantCulture))));
            return true;
        }
        catch (Exception)
        {
            // Saved again by the loop; meanwhile a restart redelivers above the saved watermark, recognised exactly.
            return false;
        }
    }
}
