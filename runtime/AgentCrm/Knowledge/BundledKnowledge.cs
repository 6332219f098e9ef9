using AgentCrm.Knowledge.Retrieval;

namespace AgentCrm.Knowledge;

/// <summary>The documents that ship with AgentCrm (knowledge/data beside the executable), ingested on a first start.</summary>
public static class BundledKnowledge
{
    /// <summary>"started" while the first ingest of the bundled documents runs, "done" once all were stored.</summary>
    public const string Marker = "bundled-ingest";

    public static string Directory => Path.Combine(AppContext.BaseDirectory, "knowledge", "data");

    /// <summary>
    /// The size limit the bundled documents are read under: none. Knowledge:MaxDocumentBytes caps uploads; set below a shipped
    /// document (the GDPR text is 344,219 bytes), it stopped every first start.
    /// </summary>
    public const long MaxBytes = long.MaxValue;

    /// <summary>
    /// Ingests the bundled documents into a new library, and finishes a first ingest a failure interrupted (a disk that
    /// filled after some were stored left the rest out for good: the library was no longer empty). Once done, never again,
    /// so a bundled document an operator deleted stays deleted. A library from before the marker had its first ingest.
    /// </summary>
    public static async Task EnsureIngestedAsync(KnowledgeService knowledge, CancellationToken cancellationToken = default)
    {
        if (!System.IO.Directory.Exists(Directory))
            return;
        switch (knowledge.ReadMarker(Marker))
        {
            case "done":
                return;
            case null when knowledge.ListDocuments().Count > 0:
                knowledge.WriteMarker(Marker, "done");
                return;
            case null:
                knowledge.WriteMarker(Marker, "started");
                break;
        }
        var stored = knowledge.ListDocuments().Select(d => d.Id).ToHashSet(StringComparer.Ordinal);
        var missing = DocumentFolder.Of(Directory).Files.Where(f => DocumentIds.FromFileName(f) is not { } id || !stored.Contains(id)).ToList();
        try
        {
            if (missing.Count > 0)
                await knowledge.IngestFilesAsync(missing, cancellationToken: cancellationToken, maxBytes: MaxBytes);
        }
        catch (Ingest.KnowledgeIngestIncompleteException ex) when (ex.InnerException is { } cause)
        {
            // Not the user's ingest: "run the same ingest again" would send them looking for one. The marker stays "started".
            throw new Ingest.KnowledgeIngestIncompleteException(
                $"storing the bundled knowledge documents failed ({cause.Message.TrimEnd('.')}) after {ex.Stored.Count} of {missing.Count} were stored; "
                + "the next start (or knowledge command) stores the rest once the knowledge store can be written.", cause);
        }
        knowledge.WriteMarker(Marker, "done");
    }
}
