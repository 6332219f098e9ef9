using AgentCrm.Storage;

namespace AgentCrm.Actors;

/// <summary>One stored reminder; times are Unix milliseconds.</summary>
internal sealed record ReminderRow(ActorId Actor, string Name, long DueAtMs, long? PeriodMs, string? Data);

/// <summary>The <c>actor_reminders</c> table: writes go through the group-commit writer (durable when the task completes).</summary>
internal sealed class ReminderTable(SqliteDatabase database, SqliteWriter writer)
{
    private const string UpsertSql = """
        INSERT INTO actor_reminders (actor_type, actor_id, name, due_at, period_ms, data) VALUES ($type, $id, $name, $due, $period, $data)
        ON CONFLICT (actor_type, actor_id, name) DO UPDATE SET due_at = excluded.due_at, period_ms = excluded.period_ms, data = excluded.data
        """;
    private const string DeleteSql = "DELETE FROM actor_reminders WHERE actor_type = $type AND actor_id = $id AND name = $name";
    // The completion of a fired reminder only applies to the row that fired, never to a newer registration.
    private const string AdvanceSql = "UPDATE actor_reminders SET due_at = $next WHERE actor_type = $type AND actor_id = $id AND name = $name AND due_at = $due";
    private const string DeleteFiredSql = "DELETE FROM actor_reminders WHERE actor_type = $type AND actor_id = $id AND name = $name AND due_at = $due";
    private const string DueSql = """
        SELECT actor_type, actor_id, name, due_at, period_ms, data FROM actor_reminders
        WHERE due_at <= $now ORDER BY due_at LIMIT $limit
        """;

    /// <summary>Registers or replaces <paramref name="row"/> inside the caller's operation (a turn enlists it with its state).</summary>
    public static void Upsert(WriteContext ctx, ReminderRow row)
    {
        var command = ctx.Command(UpsertSql, "$type", "$id", "$name", "$due", "$period", "$data");
        command.Parameters["$type"].Value = row.Actor.Type;
        command.Parameters["$id"].Value = row.Actor.Id;
        command.Parameters["$name"].Value = row.Name;
        command.Parameters["$due"].Value = row.DueAtMs;
        command.Parameters["$period"].Value = row.PeriodMs is { } period ? period : DBNull.Value;
        command.Parameters["$data"].Value = row.Data is { } data ? data : DBNull.Value;
        command.ExecuteNonQuery();
    }

    /// <summary>Removes a reminder inside the caller's operation.</summary>
    public static void Delete(WriteContext ctx, ActorId actor, string name)
    {
        var command = ctx.Command(DeleteSql, "$type", "$id", "$name");
        command.Parameters["$type"].Value = actor.Type;
        command.Parameters["$id"].Value = actor.Id;
        command.Parameters["$name"].Value = name;
        command.ExecuteNonQuery();
    }

    /// <summary>After a successful reminder turn: moves a periodic reminder to <paramref name="nextDueMs"/>, deletes a one-shot.</summary>
    public Task CompleteAsync(ReminderRow fired, long? nextDueMs) => writer.WriteAsync(ctx =>
    {
        var command = nextDueMs is null
            ? ctx.Command(DeleteFiredSql, "$type", "$id", "$name", "$due")
            : ctx.Command(AdvanceSql, "$type", "$id", "$name", "$due", "$next");
        command.Parameters["$type"].Value = fired.Actor.Type;
        command.Parameters["$id"].Value = fired.Actor.Id;
        command.Parameters["$name"].Value = fired.Name;
        command.Parameters["$due"].Value = fired.DueAtMs;
        if (nextDueMs is { } next)
            command.Parameters["$next"].Value = next;
        command.ExecuteNonQuery();
    });

    /// <summary>
    /// A reminder that could not fire (its turn failed, its actor type is not registered) is due again at
    /// <paramref name="dueMs"/>, unless it was registered anew meanwhile: behind every reminder due before it.
    /// </summary>
    public Task RetryLaterAsync(ReminderRow row, long dueMs) => CompleteAsync(row, dueMs);

    public List<ReminderRow> LoadDue(long nowMs, int limit)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = DueSql;
        command.Parameters.AddWithValue("$now", nowMs);
        command.Parameters.AddWithValue("$limit", limit);
        using var reader = command.ExecuteReader();
        var rows = new List<ReminderRow>();
        while (reader.Read())
            rows.Add(new ReminderRow(
                new ActorId(reader.GetString(0), reader.GetString(1)),
                reader.GetString(2),
                reader.GetInt64(3),
                reader.IsDBNull(4) ? null : reader.GetInt64(4),
                reader.IsDBNull(5) ? null : reader.GetString(5)));
        return rows;
    }
}
