namespace AgentCrm.Knowledge.Retrieval;

/// <summary>
/// One cited search hit. <see cref="Score"/> is the fused rank score scaled to 0–1 (1 = first in both rankings);
/// <see cref="Similarity"/> is the cosine similarity of query and unit, the figure a minimum score is applied to.
/// A hit always names one real passage: <see cref="Section"/> is its chunk's own heading path and <see cref="Snippet"/>
/// quotes the chunk (cut at a word with "…" when long). <see cref="Kind"/> says what matched: <c>distilled</c> when a
/// distilled unit did, which is then cited as the best-ranked chunk of the sections it distils, not as its summary.
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
