namespace AgentCrm.Runtime.Tests;

/// <summary>The sweep of other runs' data folders: a killed run's folder goes at the next run, not a day later.</summary>
public sealed class TempDirectoryTests : IDisposable
{
    private readonly string _parent = Path.Combine(Path.GetTempPath(), "agentcrm-tempdir-tests", Guid.NewGuid().ToString("N"));

    public TempDirectoryTests() => Directory.CreateDirectory(_parent);

    public void Dispose() => Directory.Delete(_parent, recursive: true);

    [Fact]
    public void Sweep_FoldersOfRunsWhoseProcessIsGone_AreDeleted_LiveRunsAndRecentOthersKept()
    {
        // A pid above any kernel's pid_max (2^22) is no process: a run killed since.
        var dead = Folder($"run-{(1 << 22) + 1}-12345-{Guid.NewGuid():N}");
        var deadOldForm = Folder($"run-{(1 << 22) + 1}-{Guid.NewGuid():N}");
        // This process's pid with another start: the pid was reused after the run that made the folder died.
        var reused = Folder($"run-{Environment.ProcessId}-1-{Guid.NewGuid():N}");
        var live = Folder(TempDirectory.RunFolderName(Environment.ProcessId));
        var liveOldForm = Folder($"run-{Environment.ProcessId}-{Guid.NewGuid():N}");
        // A live run that could not read its own start: kept while its pid lives (rev27).
        var liveUnknownStart = Folder($"run-{Environment.ProcessId}-0-{Guid.NewGuid():N}");
        var other = Folder("not-a-run");
        File.WriteAllText(Path.Combine(dead, "agentcrm.db"), "data");

        TempDirectory.Sweep(_parent, DateTime.UtcNow);

        Assert.False(Directory.Exists(dead));
        Assert.False(Directory.Exists(deadOldForm));
        Assert.False(Directory.Exists(reused));
        Assert.True(Directory.Exists(live));
        Assert.True(Directory.Exists(liveOldForm));
        Assert.True(Directory.Exists(liveUnknownStart));
        Assert.True(Directory.Exists(other));
    }

    [Fact]
    public void Sweep_AnyFolderOlderThanADay_IsDeleted()
    {
        var live = Folder(TempDirectory.RunFolderName(Environment.ProcessId));
        var other = Folder("not-a-run");

        TempDirectory.Sweep(_parent, DateTime.UtcNow.AddDays(2));

        Assert.False(Directory.Exists(live));
        Assert.False(Directory.Exists(other));
    }

    [Fact]
    public void RunFolderName_OfThisProcess_NamesItsPidAndStart()
    {
        var parts = TempDirectory.RunFolderName(Environment.ProcessId).Split('-');

        Assert.Equal(["run", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)], parts[..2]);
        Assert.Equal(TempDirectory.StartOf(Environment.ProcessId), parts[2]);
        Assert.False(TempDirectory.IsOrphan(string.Join('-', parts)));
    }

    private string Folder(string name)
    {
        var path = Path.Combine(_parent, name);
        Directory.CreateDirectory(path);
        return path;
    }
}
