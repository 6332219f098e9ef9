namespace AgentCrm.Knowledge.Ingest;

/// <summary>Chunk sizes in characters: aim for <see cref="Target"/>, never exceed <see cref="Max"/>, repeat up to <see cref="Overlap"/> from the previous chunk.</summary>
public sealed record ChunkingOptions(int Target = ChunkingOptions.DefaultTarget, int Max = ChunkingOptions.DefaultMax, int Overlap = ChunkingOptions.DefaultOverlap)
{
    public const int DefaultTarget = 800;
    public const int DefaultMax = 1200;
    public const int DefaultOverlap = 150;
}
