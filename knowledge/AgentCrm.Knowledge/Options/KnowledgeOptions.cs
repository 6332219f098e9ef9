namespace AgentCrm.Knowledge.Options;

public enum KnowledgeProvider
{
    Embedded,
    Qdrant,
}

/// <summary>The "Knowledge" configuration section.</summary>
public sealed class KnowledgeOptions
{
    public const string SectionName = "Knowledge";
    public const string DefaultDataDirectory = "data";
    public const int DefaultDimension = 384;
    public const int DefaultChunkSize = 800;
    public const int DefaultChunkMaxSize = 1200;
    public const int DefaultChunkOverlap = 150;
    public const long DefaultMaxDocumentBytes = 5 * 1024 * 1024;
    public const double DefaultMinScore = 0.15;
    public const string DefaultLanguage = "en";
    public const string CatalogFileName = "knowledge-catalog.db";
    public const string EmbeddedStoreFileName = "knowledge.db";

    /// <summary>The knowledge files a data directory may hold (the catalog, then the embedded store): what a start, a backup and a verify look for.</summary>
    public static IReadOnlyList<string> FileNames { get; } = [CatalogFileName, EmbeddedStoreFileName];

    public KnowledgeProvider Provider { get; set; } = KnowledgeProvider.Embedded;

    /// <summary>Where the catalog and the embedded store keep their SQLite files.</summary>
    public string DataDirectory { get; set; } = DefaultDataDirectory;

    public int Dimension { get; set; } = DefaultDimension;

    /// <summary>Target chunk length in characters.</summary>
    public int ChunkSize { get; set; } = DefaultChunkSize;

    /// <summary>Hard maximum chunk length in characters.</summary>
    public int ChunkMaxSize { get; set; } = DefaultChunkMaxSize;

    public int ChunkOverlap { get; set; } = DefaultChunkOverlap;

    public long MaxDocumentBytes { get; set; } = DefaultMaxDocumentBytes;

    /// <summary>Minimum cosine similarity for a hit to be cited in a brief.</summary>
    public double MinScore { get; set; } = DefaultMinScore;

    public string DefaultDocumentLanguage { get; set; } = DefaultLanguage;

    /// <summary>
    /// Threads an ingest may use for distilling sections and embedding units with the local embedder (results do not
    /// depend on it; 1 = sequential). Default: the number of cores.
    /// </summary>
    public int IngestParallelism { get; set; } = Environment.ProcessorCount;
}
