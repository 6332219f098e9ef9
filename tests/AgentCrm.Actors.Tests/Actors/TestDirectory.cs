namespace AgentCrm.Actors.Tests.Actors;

/// <summary>A temp data directory owned by one test.</summary>
internal sealed class TestDirectory : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("agentcrm-actors-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A pooled SQLite handle may still be closing; the OS temp cleaner takes the rest.
        }
    }
}
