using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AgentCrm.Knowledge.Tests.Qdrant;

/// <summary>
/// A stateful in-process Qdrant on loopback (Kestrel, 127.0.0.1:0) implementing the REST subset of
/// ../shared/protocols/qdrant-rest.md that the store uses, as the sheet describes it:
/// §1 <c>api-key</c> auth (401 plain text), <c>GET /healthz</c>; §2 envelope and error statuses (400 shape/type,
/// 404 missing, 409 exists, 422 value constraints); §3 create/info/delete collection (unnamed dense vector plus
/// optional <c>sparse_vectors</c>); §4 payload index; §5 upsert (UUID or unsigned ids, whole point replaced, wrong
/// dimension 400, <c>wait=false</c> → <c>acknowledged</c>, <c>wait=true</c> → <c>completed</c>); §6
/// <c>points/query</c> (filter, <c>limit</c>, <c>offset</c>, <c>score_threshold</c>, <c>with_payload</c>,
/// <c>with_vector</c>, points without the dense vector skipped), <c>points/count</c> by filter; §7 filters (<c>must</c>/<c>should</c>/<c>must_not</c>,
/// unknown clause 400, match value/any/except, range, has_id, is_empty, is_null, nested filters, arrays match on any
/// element); §8 delete by ids or filter; set payload by ids or filter; §11 scoring (Cosine normalises on the way in, Dot raw, Euclid/Manhattan
/// distances, smaller better). State lives as long as the server, so a second store instance sees the first one's writes.
/// A busy Qdrant (§5, 1.17+): with <see cref="DeferWrites"/>, point writes are queued and answered <c>wait_timeout</c>
/// (accepted, not applied), until <see cref="ApplyDeferred"/> applies them in order, as Qdrant's WAL would.
/// </summary>
internal sealed class FakeQdrantServer : IAsyncDisposable
{
    private static readonly string[] Distances = ["Cosine", "Euclid", "Dot", "Manhattan"];
    private static readonly string[] FieldSchemas = ["keyword", "integer", "float", "bool", "geo", "text", "datetime", "uuid"];
    private static readonly string[] FilterClauses = ["must", "should", "must_not", "min_should"];

    private readonly WebApplication _app;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Collection> _collections = new(StringComparer.Ordinal);
    private readonly Queue<Func<Reply>> _deferred = new();
    private long _operationId;

    private FakeQdrantServer(WebApplication app, string? apiKey)
    {
        _app = app;
        ApiKey = apiKey;
    }

    public string Url { get; private set; } = "";

    public string? ApiKey { get; }

    /// <summary>Every request line seen, e.g. <c>PUT /collections/kb/points?wait=true</c>.</summary>
    public List<string> Requests { get; } = [];

    public static async Task<FakeQdrantServer> StartAsync(string? apiKey = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new FakeQdrantServer(app, apiKey);
        app.Run(server.HandleAsync);
        await app.StartAsync();
        server.Url = app.Urls.Single();
        return server;
    }

    /// <summary>Whether point writes (upsert, delete, set payload) are queued and answered <c>wait_timeout</c> instead of applied.</summary>
    public bool DeferWrites { get; set; }

    /// <summary>What a deferred write with <c>wait=true</c> is answered: <c>wait_timeout</c> (1.17+), or <c>acknowledged</c> as without wait.</summary>
    public string DeferredStatus { get; set; } = "wait_timeout";

    /// <summary>Whether deleting points fails (500 <c>Service internal error</c>), as a Qdrant failing between two requests would.</summary>
    public bool RefuseDeletes { get; set; }

    /// <summary>Forgets the queued writes (Qdrant lost them before applying them).</summary>
    public void DropDeferred()
    {
        lock (_gate)
            _deferred.Clear();
    }

    /// <summary>Applies up to <paramref name="count"/> queued writes, oldest first (a write that fails then is dropped, as it would be by Qdrant); returns how many.</summary>
    public int ApplyDeferred(int count = int.MaxValue)
    {
        lock (_gate)
        {
            var applied = 0;
            for (; applied < count && _deferred.TryDequeue(out var write); applied++)
            {
                try
                {
                    write();
                }
                catch (QdrantError)
                {
                }
            }

            return applied;
        }
    }

    /// <summary>Qdrant loses a collection (deleted by someone, or its storage gone) while its clients run.</summary>
    public bool DropCollection(string collection)
    {
        lock (_gate)
            return _collections.Remove(collection);
    }

    /// <summary>A string payload key of every point of a collection, once per point (empty when it does not exist).</summary>
    public List<string> PayloadValues(string collection, string key)
    {
        lock (_gate)
            return _collections.TryGetValue(collection, out var c)
                ? [.. c.Points.Values.Select(p => p.Payload[key] is JsonValue v && v.TryGetValue<string>(out var text) ? text : "")]
                : [];
    }

    /// <summary>Point count of a collection (exact), or null when it does not exist.</summary>
    public int? PointCount(string collection)
    {
        lock (_gate)
            return _collections.TryGetValue(collection, out var c) ? c.Points.Count : null;
    }

    private async Task HandleAsync(HttpContext ctx)
    {
        using var reader = new StreamReader(ctx.Request.Body);
        var text = await reader.ReadToEndAsync();
        var path = (ctx.Request.Path.Value ?? "").TrimEnd('/');
        lock (_gate)
            Requests.Add($"{ctx.Request.Method} {path}{ctx.Request.QueryString.Value}");

        if (ctx.Request.Method == "GET" && path == "/healthz")
        {
            await Write(ctx, 200, "healthz check passed", "text/plain; charset=utf-8");
            return;
        }

        if (ApiKey is not null && ctx.Request.Headers["api-key"].ToString() != ApiKey && ctx.Request.Headers.Authorization.ToString() != "Bearer " + ApiKey)
        {
            await Write(ctx, 401, "Must provide an API key or an Authorization bearer token", "text/plain; charset=utf-8");
            return;
        }

        Reply reply;
        try
        {
            JsonNode? body = null;
            if (text.Length > 0)
            {
                try
                {
                    body = JsonNode.Parse(text);
                }
                catch (JsonException ex)
                {
                    throw new QdrantError(400, "Format error in JSON body: " + ex.Message);
                }
            }

            lock (_gate)
                reply = Route(ctx.Request.Method, path.Trim('/').Split('/'), ctx.Request.Query, body);
        }
        catch (QdrantError error)
        {
            reply = new Reply(error.Status, null, error.Message);
        }

        var envelope = reply.Error is null
            ? new JsonObject { ["result"] = reply.Result, ["status"] = "ok", ["time"] = 0.0001 }
            : new JsonObject { ["status"] = new JsonObject { ["error"] = reply.Error }, ["time"] = 0.0001 };
        await Write(ctx, reply.Status, envelope.ToJsonString(), "application/json");
    }

    private static async Task Write(HttpContext ctx, int status, string body, string contentType)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = contentType;
        await ctx.Response.WriteAsync(body);
    }

    private Reply Route(string method, string[] segments, IQueryCollection query, JsonNode? body) => (method, segments) switch
    {
        ("PUT", ["collections", var name]) => CreateCollection(name, body),
        ("GET", ["collections", var name]) => new Reply(200, Info(Get(name))),
        ("DELETE", ["collections", var name]) => new Reply(200, _collections.Remove(name)),
        ("PUT", ["collections", var name, "index"]) => CreateIndex(Get(name), body, query),
        ("PUT", ["collections", var name, "points"]) => Write(Get(name), c => Upsert(c, body, query), query),
        ("POST", ["collections", var name, "points", "query"]) => Query(Get(name), body),
        ("POST", ["collections", var name, "points", "count"]) => Count(Get(name), body),
        ("POST", ["collections", var name, "points", "delete"]) => RefuseDeletes
            ? throw new QdrantError(500, "Service internal error: delete refused (injected)")
            : Write(Get(name), c => Delete(c, body, query), query),
        ("POST", ["collections", var name, "points", "payload"]) => Write(Get(name), c => SetPayload(c, body, query), query),
        _ => throw new QdrantError(404, $"Not found: {method} /{string.Join('/', segments)}"),
    };

    /// <summary>A point write, applied now or, while <see cref="DeferWrites"/>, queued and answered "accepted, not applied".</summary>
    private Reply Write(Collection collection, Func<Collection, Reply> apply, IQueryCollection query)
    {
        if (!DeferWrites)
            return apply(collection);
        _deferred.Enqueue(() => apply(collection));
        var wait = query.TryGetValue("wait", out var w) && w.ToString() == "true";
        return new Reply(200, new JsonObject { ["operation_id"] = ++_operationId, ["status"] = wait ? DeferredStatus : "acknowledged" });
    }

    private Collection Get(string name) =>
        _collections.TryGetValue(name, out var c) ? c : throw new QdrantError(404, $"Not found: Collection `{name}` doesn't exist!");

    private Reply CreateCollection(string name, JsonNode? body)
    {
        if (body is not JsonObject o || o["vectors"] is not JsonObject vectors)
            throw new QdrantError(400, "Format error in JSON body: missing field `vectors`");
        if (vectors["size"] is null || vectors["distance"] is null)
            throw new QdrantError(400, "Format error in JSON body: data did not match any variant of untagged enum VectorsConfig");
        var size = Integer(vectors["size"]!, "vectors.size");
        var distance = vectors["distance"] is JsonValue d && d.TryGetValue<string>(out var ds) && Distances.Contains(ds)
            ? ds
            : throw new QdrantError(400, $"Format error in JSON body: unknown variant `{vectors["distance"]?.ToJsonString()}`, expected one of `Cosine`, `Euclid`, `Dot`, `Manhattan`");
        if (size < 1)
            throw new QdrantError(422, "Validation error in JSON body: [vectors.size: value 0 invalid, must be 1 or larger]");
        if (_collections.ContainsKey(name))
            throw new QdrantError(409, $"Wrong input: Collection `{name}` already exists!");
        var sparse = o["sparse_vectors"] is JsonObject s ? s.Select(p => p.Key).ToHashSet(StringComparer.Ordinal) : [];
        _collections[name] = new Collection((int)size, distance, sparse);
        return new Reply(200, true);
    }

    private static JsonObject Info(Collection c)
    {
        var schema = new JsonObject();
        foreach (var (field, type) in c.Indexes)
            schema[field] = new JsonObject { ["data_type"] = type, ["params"] = new JsonObject { ["type"] = type }, ["points"] = c.Points.Values.Count(p => p.Payload.ContainsKey(field)) };
        return new JsonObject
        {
            ["status"] = "green",
            ["optimizer_status"] = "ok",
            ["indexed_vectors_count"] = 0,
            ["points_count"] = c.Points.Count,
            ["segments_count"] = 1,
            ["config"] = new JsonObject
            {
                ["params"] = new JsonObject
                {
                    ["vectors"] = new JsonObject { ["size"] = c.Size, ["distance"] = c.Distance },
                    ["shard_number"] = 1,
                    ["replication_factor"] = 1,
                    ["write_consistency_factor"] = 1,
                    ["on_disk_payload"] = true,
                },
                ["hnsw_config"] = new JsonObject { ["m"] = 16, ["ef_construct"] = 100, ["full_scan_threshold"] = 10000, ["max_indexing_threads"] = 0, ["on_disk"] = false },
                ["optimizer_config"] = new JsonObject { ["deleted_threshold"] = 0.2, ["vacuum_min_vector_number"] = 1000, ["default_segment_number"] = 0, ["flush_interval_sec"] = 5 },
                ["wal_config"] = new JsonObject { ["wal_capacity_mb"] = 32, ["wal_segments_ahead"] = 0 },
            },
            ["payload_schema"] = schema,
        };
    }

    private Reply CreateIndex(Collection c, JsonNode? body, IQueryCollection query)
    {
        if (body is not JsonObject o || o["field_name"] is not JsonValue nameValue || !nameValue.TryGetValue<string>(out var field))
            throw new QdrantError(400, "Format error in JSON body: missing field `field_name`");
        var type = o["field_schema"] switch
        {
            JsonValue v when v.TryGetValue<string>(out var s) => s,
            JsonObject p when p["type"] is JsonValue t && t.TryGetValue<string>(out var s) => s,
            _ => throw new QdrantError(400, "Format error in JSON body: field_schema must be a type name or a params object"),
        };
        if (!FieldSchemas.Contains(type))
            throw new QdrantError(400, $"Format error in JSON body: unknown variant `{type}`");
        c.Indexes[field] = type;
        return Updated(query);
    }

    private Reply Upsert(Collection c, JsonNode? body, IQueryCollection query)
    {
        if (body is not JsonObject o)
            throw new QdrantError(400, "Format error in JSON body: expected an object");
        var incoming = new List<(string Id, float[]? Vector, JsonObject Payload)>();
        if (o["points"] is JsonArray points)
        {
            foreach (var p in points)
            {
                if (p is not JsonObject point || point["id"] is null || point["vector"] is null)
                    throw new QdrantError(400, "Format error in JSON body: a point needs `id` and `vector`");
                incoming.Add((PointId(point["id"]!), Vector(c, point["vector"]!), point["payload"] as JsonObject ?? []));
            }
        }
        else if (o["batch"] is JsonObject batch && batch["ids"] is JsonArray ids && batch["vectors"] is JsonArray vectors)
        {
            if (ids.Count != vectors.Count)
                throw new QdrantError(400, "Wrong input: ids and vectors differ in length");
            var payloads = batch["payloads"] as JsonArray;
            for (var i = 0; i < ids.Count; i++)
                incoming.Add((PointId(ids[i]!), Vector(c, vectors[i]!), payloads?[i] as JsonObject ?? []));
        }
        else
        {
            throw new QdrantError(400, "Format error in JSON body: data did not match any variant of untagged enum PointInsertOperations");
        }

        // The whole request is validated before any point changes; an existing id is replaced whole (vector and payload).
        var version = ++_operationId;
        foreach (var (id, vector, payload) in incoming)
            c.Points[id] = new Point(id, vector, (JsonObject)payload.DeepClone(), version);
        return Updated(query, version);
    }

    private Reply Delete(Collection c, JsonNode? body, IQueryCollection query)
    {
        if (body is JsonObject { } withIds && withIds["points"] is JsonArray ids)
        {
            foreach (var id in ids)
                c.Points.Remove(PointId(id!));
        }
        else if (body is JsonObject { } withFilter && withFilter["filter"] is JsonObject filter)
        {
            ValidateFilter(filter);
            foreach (var point in c.Points.Values.Where(p => Matches(filter, p)).ToList())
                c.Points.Remove(point.Id);
        }
        else
        {
            throw new QdrantError(400, "Format error in JSON body: data did not match any variant of untagged enum PointsSelector");
        }

        return Updated(query);
    }

    /// <summary>§5 set payload: the given keys are merged into each selected point's payload (by <c>points</c> ids or <c>filter</c>); vectors stay.</summary>
    private Reply SetPayload(Collection c, JsonNode? body, IQueryCollection query)
    {
        if (body is not JsonObject o || o["payload"] is not JsonObject payload)
            throw new QdrantError(400, "Format error in JSON body: missing field `payload`");
        IEnumerable<Point> selected;
        if (o["points"] is JsonArray ids)
            selected = ids.Select(id => PointId(id!)).Where(c.Points.ContainsKey).Select(id => c.Points[id]);
        else if (o["filter"] is JsonObject filter)
        {
            ValidateFilter(filter);
            selected = c.Points.Values.Where(p => Matches(filter, p));
        }
        else
            throw new QdrantError(400, "Format error in JSON body: either `points` or `filter` is required");
        foreach (var point in selected.ToList())
            foreach (var (key, value) in payload)
                point.Payload[key] = value?.DeepClone();
        return Updated(query);
    }

    /// <summary>Sheet §6: <c>{"filter": …, "exact": true}</c> → <c>{"count": n}</c>; this fake always counts exactly.</summary>
    private static Reply Count(Collection c, JsonNode? body)
    {
        var o = body as JsonObject ?? [];
        if (o["exact"] is { } exact && exact.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
            throw new QdrantError(400, "Format error in JSON body: invalid type for `exact`, expected a boolean");
        var filter = o["filter"] as JsonObject;
        if (filter is not null)
            ValidateFilter(filter);
        return new Reply(200, new JsonObject { ["count"] = c.Points.Values.Count(p => filter is null || Matches(filter, p)) });
    }

    private Reply Query(Collection c, JsonNode? body)
    {
        var o = body as JsonObject ?? [];
        var limit = o["limit"] is { } l ? Integer(l, "limit") : 10;
        var offset = o["offset"] is { } off ? Integer(off, "offset") : 0;
        if (limit < 1)
            throw new QdrantError(422, "Validation error in JSON body: [limit: value 0 invalid, must be 1 or larger]");
        var filter = o["filter"] as JsonObject;
        if (filter is not null)
            ValidateFilter(filter);
        double? threshold = o["score_threshold"] is { } t ? Number(t, "score_threshold") : null;
        var candidates = c.Points.Values.Where(p => filter is null || Matches(filter, p));

        List<(Point Point, double? Score)> ranked;
        if (o["query"] is null)
        {
            // No query: points in id order, like scroll.
            ranked = [.. candidates.OrderBy(p => p.Id, StringComparer.Ordinal).Select(p => (p, (double?)null))];
        }
        else
        {
            var vector = Vector(c, o["query"]!) ?? throw new QdrantError(400, "Wrong input: only a dense query vector is supported here");
            var smallerIsBetter = c.Distance is "Euclid" or "Manhattan";
            // A point lacking the queried dense vector is never returned (sheet §13.3, ids 9 and 10).
            var scored = candidates.Where(p => p.Vector is not null).Select(p => (Point: p, Score: Score(c.Distance, vector, p.Vector!)));
            // "Less similar results will not be returned": a score equal to the threshold is kept.
            if (threshold is { } th)
                scored = scored.Where(s => smallerIsBetter ? s.Score <= th : s.Score >= th);
            ranked = [.. (smallerIsBetter ? scored.OrderBy(s => s.Score) : scored.OrderByDescending(s => s.Score)).Select(s => (s.Point, (double?)s.Score))];
        }

        var result = new JsonArray();
        foreach (var (point, score) in ranked.Skip((int)offset).Take((int)limit))
        {
            var item = new JsonObject { ["id"] = IdNode(point.Id), ["version"] = point.Version, ["score"] = score ?? 0 };
            if (PayloadFor(point, o["with_payload"]) is { } payload)
                item["payload"] = payload;
            if (o["with_vector"] is JsonValue wv && wv.TryGetValue<bool>(out var withVector) && withVector && point.Vector is not null)
                item["vector"] = new JsonArray([.. point.Vector.Select(v => (JsonNode)v)]);
            result.Add(item);
        }

        return new Reply(200, new JsonObject { ["points"] = result });
    }

    private Reply Updated(IQueryCollection query, long? operation = null)
    {
        var wait = query.TryGetValue("wait", out var w) && w.ToString() == "true";
        return new Reply(200, new JsonObject { ["operation_id"] = operation ?? ++_operationId, ["status"] = wait ? "completed" : "acknowledged" });
    }

    private static JsonObject? PayloadFor(Point point, JsonNode? withPayload) => withPayload switch
    {
        null => null,
        JsonValue v when v.TryGetValue<bool>(out var b) => b ? (JsonObject)point.Payload.DeepClone() : null,
        JsonArray keys => Pick(point.Payload, k => keys.Any(x => x?.GetValue<string>() == k)),
        JsonObject o when o["include"] is JsonArray include => Pick(point.Payload, k => include.Any(x => x?.GetValue<string>() == k)),
        JsonObject o when o["exclude"] is JsonArray exclude => Pick(point.Payload, k => !exclude.Any(x => x?.GetValue<string>() == k)),
        _ => throw new QdrantError(400, "Format error in JSON body: with_payload must be a bool, a key list, include or exclude"),
    };

    private static JsonObject Pick(JsonObject payload, Func<string, bool> keep) =>
        new(payload.Where(p => keep(p.Key)).Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone())));

    private static double Score(string distance, float[] query, float[] stored)
    {
        double sum = 0;
        switch (distance)
        {
            case "Cosine":
                // Stored vectors are already normalised; the query is normalised here.
                var q = Normalise(query);
                for (var i = 0; i < q.Length; i++)
                    sum += q[i] * stored[i];
                return sum;
            case "Dot":
                for (var i = 0; i < query.Length; i++)
                    sum += query[i] * stored[i];
                return sum;
            case "Euclid":
                for (var i = 0; i < query.Length; i++)
                    sum += (query[i] - stored[i]) * (query[i] - stored[i]);
                return Math.Sqrt(sum);
            default:
                for (var i = 0; i < query.Length; i++)
                    sum += Math.Abs(query[i] - stored[i]);
                return sum;
        }
    }

    private static float[] Normalise(float[] vector)
    {
        var norm = MathF.Sqrt(vector.Sum(v => v * v));
        return norm == 0 ? vector : [.. vector.Select(v => v / norm)];
    }

    /// <summary>A dense vector (normalised for Cosine), or null for a named map of the collection's sparse vectors only.</summary>
    private static float[]? Vector(Collection c, JsonNode node)
    {
        if (node is JsonObject named)
        {
            var unknown = named.Select(p => p.Key).FirstOrDefault(k => !c.Sparse.Contains(k));
            if (unknown is not null)
                throw new QdrantError(400, $"Wrong input: Not existing vector name error: {unknown}");
            return null;
        }

        if (node is not JsonArray array)
            throw new QdrantError(400, "Format error in JSON body: vector must be an array of numbers");
        var vector = array.Select(v => (float)Number(v, "vector")).ToArray();
        if (vector.Length != c.Size)
            throw new QdrantError(400, $"Wrong input: Vector dimension error: expected dim: {c.Size}, got {vector.Length}");
        return c.Distance == "Cosine" ? Normalise(vector) : vector;
    }

    /// <summary>Unsigned integer or UUID (hyphenated, simple or urn form), returned canonical: digits or lower-case hyphenated.</summary>
    private static string PointId(JsonNode node)
    {
        if (node is JsonValue v)
        {
            if (v.GetValueKind() == JsonValueKind.Number && ulong.TryParse(v.ToJsonString(), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                return n.ToString(CultureInfo.InvariantCulture);
            if (v.TryGetValue<string>(out var s))
            {
                var candidate = s.StartsWith("urn:uuid:", StringComparison.OrdinalIgnoreCase) ? s[9..] : s;
                if (Guid.TryParseExact(candidate, "D", out var g) || Guid.TryParseExact(candidate, "N", out g))
                    return g.ToString("D");
            }
        }

        throw new QdrantError(400, $"Format error in JSON body: Can not recognize {node.ToJsonString()} as point id");
    }

    private static JsonNode IdNode(string id) => ulong.TryParse(id, out var n) ? JsonValue.Create(n) : JsonValue.Create(id);

    private static long Integer(JsonNode node, string field) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && long.TryParse(v.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)
            ? n >= 0 ? n : throw new QdrantError(400, $"Format error in JSON body: invalid value: integer `{n}`, expected usize at `{field}`")
            : throw new QdrantError(400, $"Format error in JSON body: invalid type at `{field}`, expected an unsigned integer");

    private static double Number(JsonNode? node, string field) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number
            ? v.GetValue<double>()
            : throw new QdrantError(400, $"Format error in JSON body: invalid type at `{field}`, expected a number");

    // Filter is deny_unknown_fields (§7): a misspelt clause is a 400, not ignored.
    private static void ValidateFilter(JsonObject filter)
    {
        foreach (var (key, value) in filter)
        {
            if (!FilterClauses.Contains(key))
                throw new QdrantError(400, $"Format error in JSON body: unknown field `{key}`, expected one of `should`, `min_should`, `must`, `must_not`");
            if (key == "min_should")
                continue;
            foreach (var condition in Conditions(value))
            {
                if (condition is JsonObject nested && nested.Any(p => FilterClauses.Contains(p.Key)))
                    ValidateFilter(nested);
            }
        }
    }

    private static IEnumerable<JsonNode?> Conditions(JsonNode? clause) => clause switch
    {
        null => [],
        JsonArray array => array,
        _ => [clause],
    };

    private static bool Matches(JsonObject filter, Point point)
    {
        var must = Conditions(filter["must"]).ToList();
        var should = Conditions(filter["should"]).ToList();
        var mustNot = Conditions(filter["must_not"]).ToList();
        if (!must.All(c => Condition(c, point)))
            return false;
        if (should.Count > 0 && !should.Any(c => Condition(c, point)))
            return false;
        if (mustNot.Any(c => Condition(c, point)))
            return false;
        if (filter["min_should"] is JsonObject min)
        {
            var count = Conditions(min["conditions"]).Count(c => Condition(c, point));
            if (count < Integer(min["min_count"] ?? 0, "min_should.min_count"))
                return false;
        }

        return true;
    }

    private static bool Condition(JsonNode? node, Point point)
    {
        if (node is not JsonObject c)
            throw new QdrantError(400, "Format error in JSON body: a condition must be an object");
        if (c.Any(p => FilterClauses.Contains(p.Key)))
            return Matches(c, point);
        if (c["has_id"] is JsonArray ids)
            return ids.Any(id => PointId(id!) == point.Id);
        if (c["is_empty"] is JsonObject emptyCondition && emptyCondition["key"] is { } emptyKey)
            return IsEmpty(Values(point.Payload, emptyKey.GetValue<string>()));
        if (c["is_null"] is JsonObject nullCondition && nullCondition["key"] is { } nullKey)
            return Lookup(point.Payload, nullKey.GetValue<string>()) is { Found: true, Value: null };
        if (c["key"] is not JsonValue keyValue || !keyValue.TryGetValue<string>(out var key))
            throw new QdrantError(400, "Format error in JSON body: data did not match any variant of untagged enum Condition");

        var values = Values(point.Payload, key).Where(v => v is not null).Cast<JsonValue>().ToList();
        if (c["is_empty"] is JsonValue { } e && e.GetValue<bool>())
            return IsEmpty(Values(point.Payload, key));
        if (c["match"] is JsonObject match)
        {
            if (match["value"] is JsonValue expected)
                return values.Any(v => Same(v, expected));
            if (match["any"] is JsonArray any)
                return values.Any(v => any.Any(a => a is JsonValue av && Same(v, av)));
            if (match["except"] is JsonArray except)
                return values.Count > 0 && values.Any(v => !except.Any(x => x is JsonValue xv && Same(v, xv)));
            throw new QdrantError(400, "Format error in JSON body: match must have value, any or except here");
        }

        if (c["range"] is JsonObject range)
        {
            return values.Where(v => v.GetValueKind() == JsonValueKind.Number).Select(v => v.GetValue<double>()).Any(x =>
                (range["gt"] is not { } gt || x > Number(gt, "range.gt"))
                && (range["gte"] is not { } gte || x >= Number(gte, "range.gte"))
                && (range["lt"] is not { } lt || x < Number(lt, "range.lt"))
                && (range["lte"] is not { } lte || x <= Number(lte, "range.lte")));
        }

        throw new QdrantError(400, "Format error in JSON body: unsupported field condition");
    }

    private static bool Same(JsonValue a, JsonValue b) =>
        a.GetValueKind() == b.GetValueKind() || (a.GetValueKind() is JsonValueKind.True or JsonValueKind.False && b.GetValueKind() is JsonValueKind.True or JsonValueKind.False)
            ? a.ToJsonString() == b.ToJsonString()
            : false;

    private static bool IsEmpty(List<JsonNode?> values) => values.Count == 0 || values.All(v => v is null);

    /// <summary>The values at a dotted key; an array contributes each element (so arrays match if any element does).</summary>
    private static List<JsonNode?> Values(JsonObject payload, string key)
    {
        var (found, value) = Lookup(payload, key);
        if (!found)
            return [];
        return value is JsonArray array ? [.. array] : [value];
    }

    private static (bool Found, JsonNode? Value) Lookup(JsonObject payload, string key)
    {
        JsonNode? current = payload;
        foreach (var part in key.Split('.'))
        {
            if (current is not JsonObject o || !o.TryGetPropertyValue(part, out current))
                return (false, null);
        }

        return (true, current);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private sealed record Point(string Id, float[]? Vector, JsonObject Payload, long Version);

    private sealed record Collection(int Size, string Distance, HashSet<string> Sparse)
    {
        public Dictionary<string, Point> Points { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, string> Indexes { get; } = new(StringComparer.Ordinal);
    }

    private sealed record Reply(int Status, JsonNode? Result, string? Error = null);

    private sealed class QdrantError(int status, string message) : Exception(message)
    {
        public int Status { get; } = status;
    }
}
