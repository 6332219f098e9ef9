using AgentCrm.Audit;
using AgentCrm.Runtime.Tests.Intake;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Audit;

/// <summary>
/// The background audit verify that cannot run (its database cannot be opened) logged its warning with the exception's stack
/// trace, unlike the other operational warnings, which name the cause in one line (fix34a).
/// </summary>
public sealed class AuditWatchFailureLogTests
{
    [Fact]
    public async Task ABackgroundVerifyThatCannotOpenTheDatabase_LogsOneLineNamingTheCause_WithoutAStackTrace()
    {
        var logs = new CapturedLogs();
        var dir = TempDirectory.Create();
        var database = Path.Combine(dir, "agentcrm.db");
        var aside = database + ".aside";
        await using var app = await AgentCrmApp.StartAsync(dir, new Dictionary<string, string?> { ["Audit:BackgroundVerifyDelay"] = "00:00:03" },
            s => s.AddSingleton(logs.Provider()));
        // The writer keeps its open file; a connection opened now (the pool emptied) finds a directory where the file was.
        File.Move(database, aside);
        Directory.CreateDirectory(database);
        SqliteConnection.ClearAllPools();
        try
        {
            var category = typeof(AuditWatch).FullName!;
            CapturedLogs.Entry? failed = null;
            for (var i = 0; i < 600 && failed is null; i++)
            {
                failed = logs.Entries.FirstOrDefault(e => e.Category == category && e.Message.StartsWith("The background audit verify could not run", StringComparison.Ordinal));
                if (failed is null)
                    await Task.Delay(100);
            }
            Assert.True(failed is not null, "no 'could not run' warning within 60 s: " + string.Join('\n', logs.Entries.Where(e => e.Category == category).Select(e => e.Message)));
            Assert.Null(failed.Exception);
            Assert.Equal("The background audit verify could not run (SQLite Error 14: 'unable to open database file'); it runs again in 6 hours.", failed.Message);
        }
        finally
        {
            Directory.Delete(database);
            File.Move(aside, database);
        }
    }
}
