using AgentCrm.Knowledge.Documents;

namespace AgentCrm.Knowledge.Embeddings;

/// <summary>
/// How IDF follows the corpus: the embedder's IDF is fitted on every unit and then frozen; when the number of units
/// has drifted by more than <see cref="RefitDrift"/> since that fit (or nothing was fitted yet) the service refits
/// and re-embeds the whole corpus, otherwise new units are embedded with the frozen IDF. The fitted IDF is persisted
/// in the catalog so after a restart queries are embedded exactly as the stored vectors were.
/// </summary>
internal sealed class IdfState
{
    public const double RefitDrift = 0.25;
    public const string SnapshotKey = "idf-snapshot";

    public IdfState(DocumentCatalog catalog, LocalEmbeddingGenerator? embedder)
    {
        Embedder = embedder;
        Load(catalog);
    }

    /// <summary>Takes the IDF the catalog holds (fitted by this process or, after a refit, by another on the same data directory).</summary>
    public void Load(DocumentCatalog catalog)
    {
        if (Embedder is not null && catalog.Meta(SnapshotKey) is { } snapshot)
        {
            Embedder.Idf = IdfModel.Deserialize(snapshot);
        }
    }

    public LocalEmbeddingGenerator? Embedder { get; }

    public bool NeedsRefit(int unitCount)
    {
        if (Embedder is null)
        {
            return false;
        }

        var fitted = Embedder.Idf.DocumentCount;
        return fitted == 0 || Math.Abs(unitCount - fitted) > RefitDrift * fitted;
    }

    public IReadOnlyDictionary<string, byte[]> Serialize() => Embedder is null
        ? new Dictionary<string, byte[]>()
        : new Dictionary<string, byte[]> { [SnapshotKey] = Embedder.Idf.Serialize() };
}
