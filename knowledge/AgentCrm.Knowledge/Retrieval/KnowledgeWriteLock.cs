namespace AgentCrm.Knowledge.Retrieval;

/// <summary>
/// Serialises knowledge writes across processes on one data directory (a server and `agentcrm knowledge ingest` beside
/// it): <c>knowledge-write.lock</c> is held exclusively (an OS file lock, released when the holder ends, even by
/// <c>kill -9</c>) from a write's reload of the catalog to its commit. Without it, two writers could each refit the IDF
/// and embed without the other's document, leaving that document's vectors computed under an IDF the catalog no longer
/// holds. A writer waits for the other's document (one at a time), never for its whole folder.
/// </summary>
internal static class KnowledgeWriteLock
{
    public const string FileName = "knowledge-write.lock";
    private static readonly TimeSpan RetryInterval = TimeSpan.FromMilliseconds(25);

    public static async Task<IDisposable> AcquireAsync(string directory, CancellationToken cancellationToken)
    {
        var path = Path.Combine(directory, FileName);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (File.Exists(path))
            {
                // Held by another process (or another service in this one): wait for its document to be committed. Real
                // time, not the service's clock: the holder is another process, which a test clock does not move.
                await Task.Delay(RetryInterval, cancellationToken);
            }
        }
    }
}
