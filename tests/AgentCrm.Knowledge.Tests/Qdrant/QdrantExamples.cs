namespace AgentCrm.Knowledge.Tests.Qdrant;

/// <summary>Qdrant answers as the protocol sheet shows them (§2 envelope and errors, §3 collections, §5 updates, §6 query).</summary>
internal static class QdrantExamples
{
    // §3 / the spec's own worked example.
    public const string CreateCollection = """{"result":true,"status":"ok","time":0.031095451}""";

    // §6: note the "points" wrapper; "usage" may appear and must be ignored.
    public const string QueryResponse = """
        {"result":{"points":[
          {"id":"9d937f7d-8d42-5c42-9f07-6db7b5fbcd2b","version":3,"score":0.91,
           "payload":{"record_id":"gdpr#c0042","document_id":"gdpr","title":"GDPR","section":"CHAPTER III › Article 17 — Right to erasure",
                      "kind":"chunk","text":"The data subject shall have the right to obtain erasure.","tags":["privacy","eu"],
                      "scenario":null,"language":"en","source_chunk_id":null}},
          {"id":"468b57c7-9b3f-5a1d-97dd-5767fff97c33","version":4,"score":0.55,
           "payload":{"record_id":"gdpr#d0007","document_id":"gdpr","title":"GDPR","section":"CHAPTER III › Article 17 — Right to erasure",
                      "kind":"distilled","text":"Erase without undue delay.","tags":["privacy"],"scenario":"renewal-risk","language":"en",
                      "source_chunk_id":"gdpr#c0042"},
           "vector":[0.5,0.5,0.5,0.5]}
        ]},"status":"ok","time":0.0012,"usage":{"hardware":null}}
        """;

    /// <summary>§6 count: <c>{"result":{"count": 4}}</c>.</summary>
    public static string CountResponse(long count) => $$"""{"result":{"count":{{count}}},"status":"ok","time":0.000071}""";

    /// <summary>§5 <c>UpdateResult</c>: completed, acknowledged (wait=false) or wait_timeout (1.17+, wait=true with timeout).</summary>
    public static string UpdateResult(string status) => $$"""{"result":{"operation_id":42,"status":"{{status}}"},"status":"ok","time":0.000206061}""";

    public static CannedResponse NotFound(string collection) =>
        new(404, $$"""{"status":{"error":"Not found: Collection `{{collection}}` doesn't exist!"},"time":0.000012}""");

    public static CannedResponse AlreadyExists(string collection) =>
        new(409, $$"""{"status":{"error":"Wrong input: Collection `{{collection}}` already exists!"},"time":0.0001}""");

    public static CannedResponse Error(int status, string message) =>
        new(status, $$"""{"status":{"error":"{{message}}"},"time":0.0001}""");

    /// <summary>§3 collection info, shaped like the spec's example plus the fields <c>CollectionInfo</c> requires.</summary>
    public static string CollectionInfo(int size, IEnumerable<string> indexedKeywordFields, string distance = "Cosine")
    {
        var schema = "{" + string.Join(",", indexedKeywordFields.Select(f => $$"""
            "{{f}}":{"data_type":"keyword","params":{"type":"keyword"},"points":10}
            """.Trim())) + "}";
        return $$"""
            {"result":{"status":"green","optimizer_status":"ok","segments_count":5,"points_count":10,"indexed_vectors_count":0,
              "config":{"params":{"vectors":{"size":{{size}},"distance":"{{distance}}"},"shard_number":1,"replication_factor":1,
                                  "write_consistency_factor":1,"on_disk_payload":true},
                        "hnsw_config":{"m":16,"ef_construct":100,"full_scan_threshold":10000,"max_indexing_threads":0,"on_disk":false},
                        "optimizer_config":{"deleted_threshold":0.2,"vacuum_min_vector_number":1000,"default_segment_number":2,
                                            "max_segment_size":null,"memmap_threshold":null,"indexing_threshold":20000,
                                            "flush_interval_sec":5,"max_optimization_threads":null},
                        "wal_config":{"wal_capacity_mb":32,"wal_segments_ahead":0},
                        "quantization_config":null},
              "payload_schema":{{schema}} },
             "status":"ok","time":2.1199e-05}
            """;
    }
}
