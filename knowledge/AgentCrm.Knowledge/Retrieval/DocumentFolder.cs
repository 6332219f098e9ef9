namespace AgentCrm.Knowledge.Retrieval;

/// <summary>A folder's documents (<see cref="KnowledgeService.ListDirectory"/>) and the files skipped in it.</summary>
public sealed record DocumentFolder(IReadOnlyList<string> Files, IReadOnlyList<SkippedFile> Skipped);

/// <summary>A file a folder ingest leaves out, and why.</summary>
public sealed record SkippedFile(string Path, string Reason);
