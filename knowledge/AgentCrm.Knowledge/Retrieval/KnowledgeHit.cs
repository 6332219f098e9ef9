namespace AgentCrm.Knowledge.Retrieval;

/// <summary>
/// One cited search hit. <see cref="Score"/> is the fused rank score scaled to 0–1 (1 = first in both rankings);
/// <see cref="Similarity"/> is the cosine similarity of query and unit, the figure a minimum score is applied to.
/// For a distilled unit <see cref="ChunkId"/> points at its source chunk.
/// </summary>
public sealed record KnowledgeHit(
    string DocumentId,
    string Title,
    string Section,
    string ChunkId,
    string Kind,
    double Score,
    double Similarity,
    string Snippet);
