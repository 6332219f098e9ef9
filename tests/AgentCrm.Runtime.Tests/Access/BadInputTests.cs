using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using AgentCrm.Intake;
using AgentCrm.Runtime.Tests.EndToEnd;
using AgentCrm.Runtime.Tests.Sandbox;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Access;

/// <summary>
/// Every write endpoint × malformed, mistyped, oversized, deeply nested, unknown-field, bad-date and
/// bad-enum requests: a 4xx ProblemDetails naming the field at fault, nothing internal in the body, and
/// no change to events, agents, briefs, consent, accounts, knowledge, case sets or the audit log. The
/// targets are chosen so that a request wrongly accepted would change state: the promoted version has a
/// passing report, the vetoed and approved brief is pending review. The list endpoints' query parameters
/// (<c>limit</c>, <c>k</c>) are held to the same answer.
/// </summary>
public sealed class BadInputTests(BadInputTests.Server server) : IClassFixture<BadInputTests.Server>
{
    private const int EventBodyLimit = 64 * 1024;

    /// <summary>The error is about the body as a whole (where parsing stopped); any key will do.</summary>
    private const string AnyField = "";

    /// <summary>One bad request: the endpoint, what is wrong, the status and the <c>errors</c> key expected (<see cref="AnyField"/>: any key); <c>Path</c> overrides the endpoint's path.</summary>
    public sealed record Row(string Endpoint, string Defect, Func<HttpContent?> Body, int Status, string Field, string? Path = null);

    private static readonly Dictionary<string, (HttpMethod Method, string Path)> Endpoints = new()
    {
        ["events"] = (HttpMethod.Post, "/v1/events"),
        ["agents"] = (HttpMethod.Post, "/v1/agents"),
        ["promote"] = (HttpMethod.Post, "/v1/agents/gate-agent/versions/1.0.0/promote"),
        ["evaluate"] = (HttpMethod.Post, "/v1/agents/gate-agent/versions/1.0.0/evaluate"),
        ["fit"] = (HttpMethod.Post, "/v1/agents/fit"),
        ["veto"] = (HttpMethod.Post, "/v1/briefs/{pending}/veto"),
        ["approve"] = (HttpMethod.Post, "/v1/briefs/{pending}/approve"),
        ["consent"] = (HttpMethod.Put, "/v1/customers/acme/consent"),
        ["csm accounts"] = (HttpMethod.Put, "/v1/csms/csm-anna/accounts"),
        ["knowledge"] = (HttpMethod.Post, "/v1/knowledge/documents?id=playbook&title=Playbook"),
        ["cases"] = (HttpMethod.Post, "/v1/cases/new-cases"),
        ["briefs"] = (HttpMethod.Get, "/v1/briefs"),
        ["audit"] = (HttpMethod.Get, "/v1/audit"),
        ["reviews"] = (HttpMethod.Get, "/v1/reviews"),
        ["knowledge search"] = (HttpMethod.Get, "/v1/knowledge/search?q=refund"),
        ["plugins"] = (HttpMethod.Post, "/v1/agents/plugins"),
    };

    private static readonly Func<HttpContent?> NoBody = () => null;

    private static Func<HttpContent?> Json(string body, string? contentType = "application/json") => () =>
    {
        var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = contentType is null ? null : MediaTypeHeaderValue.Parse(contentType);
        return content;
    };

    /// <summary><paramref name="body"/> as UTF-8 with each <c>¤</c> replaced by the byte 0xFF, which is never valid UTF-8.</summary>
    private static Func<HttpContent?> InvalidUtf8(string body, string contentType = "application/json") => () =>
    {
        var bytes = body.Split('¤').Select(Encoding.UTF8.GetBytes).Aggregate((a, b) => [.. a, 0xFF, .. b]);
        return new ByteArrayContent(bytes) { Headers = { ContentType = MediaTypeHeaderValue.Parse(contentType) } };
    };

    private static string Nested(int depth, string inner = "1") => new string('[', depth) + inner + new string(']', depth);

    private static string Big(int bytes) => new('x', bytes);

    private static string Event(string occurredAt = "\"2026-01-05T10:00:00Z\"", string type = "\"nps\"", string id = "\"bad-ev-1\"", string attributes = "{\"score\":3}", string extra = "") =>
        $$"""{"id":{{id}},"customerId":"acme","type":{{type}},"occurredAt":{{occurredAt}},"source":"test","attributes":{{attributes}}{{extra}}}""";

    private static string Manifest(string threshold = "0.5", string vetoPolicy = "\"deliverThenVeto\"", string subscribes = "[\"nps\"]", string purpose = "\"customer-success\"", string extra = "") =>
        $$"""{"id":"bad-agent","version":"1.0.0","kind":"renewal-risk","scenario":"renewal-risk","subscribes":{{subscribes}},"reads":["nps.latest"],"purpose":{{purpose}},"threshold":{{threshold}},"vetoPolicy":{{vetoPolicy}}{{extra}}}""";

    private static Func<HttpContent?> Form(params (string Name, string FileName, string Body)[] parts) => () =>
    {
        var form = new MultipartFormDataContent();
        foreach (var (name, fileName, body) in parts)
            form.Add(new StringContent(body, Encoding.UTF8, "text/plain"), name, fileName);
        return form;
    };

    /// <summary>A multipart body whose closing boundary never comes.</summary>
    private static Func<HttpContent?> BrokenMultipart() => () =>
    {
        var content = new StringContent("--xyz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.md\"\r\n\r\n# Title\r\nbody without an end", Encoding.UTF8);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("multipart/form-data; boundary=xyz");
        return content;
    };

    private const string UploadCsv = "id,tenure,churned\nu1,3,1\nu2,40,0\n";

    private const string UploadMapping = """
        name: upload-cases
        id: id
        label: { column: churned, positive: "1" }
        fields:
          - { column: tenure, field: tenure.months, type: number }
        """;

    private static readonly string AliasBomb = YamlBombs.Aliases("id: bomb");

    /// <summary>A YAML mapping of mappings <paramref name="depth"/> deep, one key per line.</summary>
    private static string DeepYaml(int depth) =>
        string.Concat(Enumerable.Range(0, depth).Select(i => new string(' ', 2 * i) + $"k{i}:\n")) + new string(' ', 2 * depth) + "leaf\n";

    public static readonly IReadOnlyList<Row> Table =
    [
        // POST /v1/events
        new("events", "NUL in the event id", Json(Event(id: "\"bad\\u0000ev\"")), 400, "id"),
        new("events", "NEL (C1) in the event id", Json(Event(id: "\"bad\\u0085ev\"")), 400, "id"),
        new("events", "a line separator in the customer id", Json(Event().Replace("\"customerId\":\"acme\"", "\"customerId\":\"ac\\u2028me\"", StringComparison.Ordinal)), 400, "customerId"),
        new("events", "a paragraph separator in the source", Json(Event(extra: "").Replace("\"source\":\"test\"", "\"source\":\"a\\u2029b\"", StringComparison.Ordinal)), 400, "source"),
        new("events", "NUL in the source", Json(Event(extra: "").Replace("\"source\":\"test\"", "\"source\":\"a\\u0000b\"", StringComparison.Ordinal)), 400, "source"),
        new("events", "source over 200 characters", Json(Event().Replace("\"source\":\"test\"", $"\"source\":\"{Big(201)}\"", StringComparison.Ordinal)), 400, "source"),
        new("events", "malformed JSON", Json("""{"id":"bad-ev-1","customerId":"""), 400, "$"),
        new("events", "wrong content type", Json(Event(), "application/xml"), 415, "Content-Type"),
        new("events", "oversized body", Json(Event(attributes: $$"""{"note":"{{Big(EventBodyLimit)}}"}""")), 413, "$"),
        new("events", "nested 40 deep", Json(Event(attributes: $$"""{"deep":{{Nested(40)}}}""")), 400, AnyField),
        new("events", "wrongly typed id", Json(Event(id: "5")), 400, "id"),
        new("events", "wrongly typed attributes", Json(Event(attributes: "\"score 3\"")), 400, "attributes"),
        new("events", "unknown field", Json(Event(extra: ",\"colour\":\"red\"")), 400, "colour"),
        new("events", "bad date", Json(Event(occurredAt: "\"yesterday\"")), 400, "occurredAt"),
        new("events", "date without a zone", Json(Event(occurredAt: "\"2026-01-05T10:00:00\"")), 400, "occurredAt"),
        new("events", "bad event type", Json(Event(type: "\"tweet\"")), 400, "type"),
        new("events", "one bad event in a batch", Json($"[{Event(id: "\"bad-ev-2\"")},{Event(id: "\"bad-ev-3\"", type: "\"tweet\"")}]"), 400, "[1].type"),
        new("events", "empty body", Json(""), 400, "$"),
        new("events", "duplicate field", Json(Event(extra: ",\"id\":\"bad-ev-9\"")), 400, "$.id"),
        new("events", "duplicate attribute", Json(Event(attributes: "{\"score\":3,\"score\":11}")), 400, "$.attributes.score"),
        new("events", "duplicate field in a batch", Json($"[{Event(id: "\"bad-ev-2\"")},{Event(id: "\"bad-ev-3\"", extra: ",\"type\":\"login\"")}]"), 400, "$[1].type"),
        new("events", "invalid UTF-8 in customerId", InvalidUtf8(Event().Replace("acme", "ac¤me", StringComparison.Ordinal)), 400, "$.customerId"),
        new("events", "invalid UTF-8 in an attribute", InvalidUtf8(Event(attributes: "{\"score\":3,\"note\":\"so¤so\"}")), 400, "$.attributes.note"),
        new("events", "invalid UTF-8 in an attribute name", InvalidUtf8(Event(attributes: "{\"sc¤ore\":3}")), 400, "$.attributes"),
        new("events", "unpaired surrogate escape", Json(Event(id: "\"bad-\\ud800\"")), 400, "$.id"),
        new("events", "invalid UTF-8 in a batch", InvalidUtf8($"[{Event(id: "\"bad-ev-2\"")},{Event(id: "\"bad-¤\"")}]"), 400, "$[1].id"),
        new("events", "invalid UTF-8 on an NDJSON line", InvalidUtf8($"{Event(id: "\"bad-ev-2\"")}\n{Event(attributes: "{\"score\":3,\"note\":\"¤\"}")}\n", "application/x-ndjson"), 400, "$[1].attributes.note"),

        // POST /v1/agents
        new("agents", "malformed JSON", Json("""{"id":"bad-agent","version":"""), 400, "$"),
        new("agents", "malformed YAML", Json("id: bad-agent\nversion: [1.0.0\n", "application/yaml"), 400, "$"),
        new("agents", "wrong content type", Json(Manifest(), "application/xml"), 415, "Content-Type"),
        new("agents", "oversized body", Json(Manifest(purpose: $"\"{Big(8 * 1024 * 1024)}\"")), 413, "$"),
        new("agents", "nested 40 deep", Json(Manifest(extra: $",\"parameters\":{{\"weights\":{Nested(40)}}}")), 400, AnyField),
        new("agents", "wrongly typed threshold", Json(Manifest(threshold: "\"high\"")), 400, "threshold"),
        new("agents", "unknown field", Json(Manifest(extra: ",\"colour\":\"red\"")), 400, "colour"),
        new("agents", "wrongly typed kind parameter", Json(Manifest(extra: ",\"parameters\":{\"weights\":\"heavy\"}")), 400, "parameters"),
        new("agents", "bad veto policy", Json(Manifest(vetoPolicy: "\"never\"")), 400, "vetoPolicy"),
        new("agents", "veto policy as a number", Json(Manifest(vetoPolicy: "1")), 400, "vetoPolicy"),
        new("agents", "bad event type", Json(Manifest(subscribes: "[\"tweet\"]")), 400, "subscribes[0]"),
        new("agents", "empty body", Json(""), 400, "$"),
        new("agents", "duplicate field", Json(Manifest(extra: ",\"id\":\"other-agent\"")), 400, "id"),
        new("agents", "duplicate field in another case", Json(Manifest(extra: ",\"Threshold\":0.9")), 400, "hreshold"),
        new("agents", "invalid UTF-8 in JSON", InvalidUtf8(Manifest(purpose: "\"customer-¤success\"")), 400, "$"),
        new("agents", "invalid UTF-8 in YAML", InvalidUtf8("id: bad-agent\npurpose: customer-¤success\n", "application/yaml"), 400, "$"),
        new("agents", "unpaired surrogate escape", Json(Manifest(purpose: "\"customer-\\udc00\"")), 400, "purpose"),
        new("agents", "YAML nested 33 deep", Json(DeepYaml(33), "application/yaml"), 400, "$"),
        new("agents", "YAML of 100000 open brackets", Json("id: " + new string('[', 100_000), "application/yaml"), 400, "$"),
        new("agents", "YAML alias bomb", Json(AliasBomb, "application/yaml"), 400, "$"),
        new("agents", "YAML threshold NaN", Json("id: bad-agent\nversion: 1.0.0\nkind: renewal-risk\nthreshold: NaN\n", "application/yaml"), 400, "threshold"),
        new("agents", "YAML threshold Infinity", Json("id: bad-agent\nversion: 1.0.0\nkind: renewal-risk\nthreshold: Infinity\n", "application/yaml"), 400, "threshold"),
        new("agents", "YAML threshold 1e400", Json("id: bad-agent\nversion: 1.0.0\nkind: renewal-risk\nthreshold: 1e400\n", "application/yaml"), 400, "threshold"),
        new("agents", "id ending in a newline", Json(Manifest().Replace("\"id\":\"bad-agent\"", "\"id\":\"bad-agent\\n\"", StringComparison.Ordinal)), 400, "id"),
        new("agents", "version ending in a newline", Json(Manifest().Replace("\"version\":\"1.0.0\"", "\"version\":\"1.0.0\\n\"", StringComparison.Ordinal)), 400, "version"),
        new("agents", "two YAML documents", Json("id: bad-agent\nversion: 1.0.0\nkind: renewal-risk\n---\nid: other-agent\n", "application/yaml"), 400, "$"),
        new("agents", "purpose no consent grant can name", Json(Manifest(purpose: "\"../x\"")), 400, "purpose"),
        new("agents", "id given null", Json(Manifest().Replace("\"id\":\"bad-agent\"", "\"id\":null", StringComparison.Ordinal)), 400, "id"),
        new("agents", "kind given null", Json(Manifest().Replace("\"kind\":\"renewal-risk\"", "\"kind\":null", StringComparison.Ordinal)), 400, "kind"),
        new("agents", "YAML version left empty", Json("id: bad-agent\nversion:\nkind: renewal-risk\nscenario: renewal-risk\nsubscribes: [nps]\npurpose: customer-success\n", "application/yaml"), 400, "version"),

        // POST /v1/agents/plugins
        new("plugins", "multipart without a boundary", Json("--x\r\n", "multipart/form-data"), 400, "$"),
        new("plugins", "malformed multipart", BrokenMultipart(), 400, "$"),
        new("plugins", "more than 1,024 form fields", Form([.. Enumerable.Range(0, 1100).Select(i => ($"f{i}", $"f{i}.txt", "x"))]), 400, "$"),

        // POST /v1/agents/{id}/versions/{version}/promote (the version has a passing report: a wrongly accepted request promotes it)
        new("promote", "malformed JSON", Json("""{"canaryPercent":"""), 400, AnyField),
        new("promote", "wrong content type", Json("""{"canaryPercent":100}""", "text/plain"), 415, "Content-Type"),
        new("promote", "oversized body", Json($$"""{"canaryPercent":100,"note":"{{Big(64 * 1024)}}"}"""), 413, "$"),
        new("promote", "nested 33 deep", Json($$"""{"canaryPercent":{{Nested(32)}}}"""), 400, AnyField),
        new("promote", "wrongly typed canary", Json("""{"canaryPercent":"all"}"""), 400, "canaryPercent"),
        new("promote", "canary as a string number", Json("""{"canaryPercent":"50"}"""), 400, "canaryPercent"),
        new("promote", "unknown field", Json("""{"canary":50}"""), 400, "canary"),
        new("promote", "canary out of range", Json("""{"canaryPercent":0}"""), 400, "canaryPercent"),
        new("promote", "duplicate field", Json("""{"canaryPercent":10,"canaryPercent":100}"""), 400, "canaryPercent"),
        new("promote", "duplicate field in another case", Json("""{"canaryPercent":10,"CanaryPercent":100}"""), 400, "anaryPercent"),
        new("promote", "invalid UTF-8 in a string", InvalidUtf8("""{"canaryPercent":100,"note":"¤"}"""), 400, "note"),

        // POST /v1/agents/fit
        new("fit", "malformed JSON", Json("""{"kind":"""), 400, AnyField),
        new("fit", "wrong content type", Json("""{"kind":"renewal-risk","caseSet":"bad-input-cases"}""", "text/plain"), 415, "Content-Type"),
        new("fit", "oversized body", Json($$"""{"kind":"{{Big(64 * 1024)}}","caseSet":"bad-input-cases"}"""), 413, "$"),
        new("fit", "nested 33 deep", Json($$"""{"kind":{{Nested(32, "\"renewal-risk\"")}},"caseSet":"bad-input-cases"}"""), 400, AnyField),
        new("fit", "wrongly typed kind", Json("""{"kind":5,"caseSet":"bad-input-cases"}"""), 400, "kind"),
        new("fit", "wrongly typed seed", Json("""{"kind":"renewal-risk","caseSet":"bad-input-cases","seed":"one"}"""), 400, "seed"),
        new("fit", "unknown field", Json("""{"kind":"renewal-risk","caseSet":"bad-input-cases","priority":1}"""), 400, "priority"),
        new("fit", "empty body", Json(""), 400, "kind"),
        new("fit", "duplicate field", Json("""{"kind":"renewal-risk","caseSet":"bad-input-cases","caseSet":"no-such-cases"}"""), 400, "caseSet"),
        new("fit", "invalid UTF-8 in a string", InvalidUtf8("""{"kind":"renewal-risk","caseSet":"bad-input-¤cases"}"""), 400, "caseSet"),
        new("fit", "kind that is not trainable", Json("""{"kind":"rules","caseSet":"bad-input-cases"}"""), 400, "kind"),
        new("fit", "unknown case set", Json("""{"kind":"renewal-risk","caseSet":"no-such-cases"}"""), 400, "caseSet"),
        new("fit", "bad version", Json("""{"kind":"renewal-risk","caseSet":"bad-input-cases","version":"v2"}"""), 400, "version"),
        new("fit", "clause options on renewal risk", Json("""{"kind":"renewal-risk","caseSet":"bad-input-cases","crossValidate":true}"""), 400, "crossValidate"),

        // POST /v1/agents/{id}/versions/{version}/evaluate
        new("evaluate", "malformed JSON", Json("""{"caseSet":"""), 400, AnyField),
        new("evaluate", "wrong content type", Json("""{"caseSet":"bad-input-cases"}""", "text/plain"), 415, "Content-Type"),
        new("evaluate", "oversized body", Json($$"""{"caseSet":"{{Big(64 * 1024)}}"}"""), 413, "$"),
        new("evaluate", "nested 33 deep", Json($$"""{"caseSet":{{Nested(32, "\"bad-input-cases\"")}}}"""), 400, AnyField),
        new("evaluate", "wrongly typed case set", Json("""{"caseSet":5}"""), 400, "caseSet"),
        new("evaluate", "unknown field", Json("""{"caseSet":"bad-input-cases","priority":1}"""), 400, "priority"),
        new("evaluate", "unknown case set", Json("""{"caseSet":"no-such-cases"}"""), 400, "caseSet"),
        new("evaluate", "empty body", Json(""), 400, "caseSet"),
        new("evaluate", "duplicate field", Json("""{"caseSet":"bad-input-cases","caseSet":"bad-input-cases"}"""), 400, "caseSet"),
        new("evaluate", "invalid UTF-8 in a string", InvalidUtf8("""{"caseSet":"bad-input-¤cases"}"""), 400, "caseSet"),
        new("evaluate", "upload without mapping", Form(("cases", "cases.csv", UploadCsv)), 400, "mapping"),
        new("evaluate", "upload with an unknown part", Form(("cases", "cases.csv", UploadCsv), ("mapping", "mapping.yaml", UploadMapping), ("caseSet", "x.txt", "telco-churn")), 400, "caseSet"),
        new("evaluate", "upload without cases", Form(("mapping", "mapping.yaml", UploadMapping)), 400, "cases"),
        new("evaluate", "upload with mapping and labels", Form(("cases", "cases.csv", UploadCsv), ("mapping", "mapping.yaml", UploadMapping), ("labels", "labels.csv", "customerId,cutoff,label\n")), 400, "labels"),
        new("evaluate", "upload with a bad CSV line", Form(("cases", "cases.csv", UploadCsv + "u3,forty,0\n"), ("mapping", "mapping.yaml", UploadMapping)), 400, "cases"),
        new("evaluate", "upload with a mapping nested 33 deep", Form(("cases", "cases.csv", UploadCsv), ("mapping", "mapping.yaml", DeepYaml(33))), 400, "mapping"),
        new("evaluate", "upload with an alias bomb mapping", Form(("cases", "cases.csv", UploadCsv), ("mapping", "mapping.yaml", AliasBomb)), 400, "mapping"),
        new("evaluate", "upload with an unpaired surrogate escape in its timeline", Form(("cases", "events.ndjson", Event(id: "\"bad-\\ud800\"")), ("labels", "labels.csv", "customerId,cutoff,label\nacme,2026-01-06T00:00:00Z,1\n")), 400, "cases"),
        new("evaluate", "upload with a malformed timeline", Form(("cases", "events.ndjson", "{not json"), ("labels", "labels.csv", "customerId,cutoff,label\nacme,2026-01-06T00:00:00Z,1\n")), 400, "cases"),

        // POST /v1/briefs/{id}/veto (on a pendingReview brief)
        new("veto", "malformed JSON", Json("""{"reason":"""), 400, AnyField),
        new("veto", "wrong content type", Json("""{"reason":"wrong"}""", "text/plain"), 415, "Content-Type"),
        new("veto", "form instead of JSON", () => new FormUrlEncodedContent([new("reason", "wrong")]), 415, "Content-Type"),
        new("veto", "oversized body", Json($$"""{"reason":"{{Big(64 * 1024)}}"}"""), 413, "$"),
        new("veto", "nested 33 deep", Json($$"""{"reason":"wrong","note":{{Nested(32)}}}"""), 400, AnyField),
        new("veto", "wrongly typed reason", Json("""{"reason":5}"""), 400, "reason"),
        new("veto", "wrongly typed correctLabel", Json("""{"reason":"wrong","correctLabel":"yes"}"""), 400, "correctLabel"),
        new("veto", "unknown field", Json("""{"reason":"wrong","severity":1}"""), 400, "severity"),
        new("veto", "missing reason", Json("""{"note":"no reason given"}"""), 400, "reason"),
        new("veto", "array instead of object", Json("""[{"reason":"wrong"}]"""), 400, "$"),
        new("veto", "empty body", Json(""), 400, "reason"),
        new("veto", "duplicate field", Json("""{"reason":"wrong","reason":"right"}"""), 400, "reason"),
        new("veto", "invalid UTF-8 in a string", InvalidUtf8("""{"reason":"wr¤ong"}"""), 400, "reason"),

        // POST /v1/briefs/{id}/approve (on the same pendingReview brief)
        new("approve", "malformed JSON", Json("""{"note":"""), 400, AnyField),
        new("approve", "wrong content type", Json("""{"note":"fine"}""", "text/plain"), 415, "Content-Type"),
        new("approve", "oversized body", Json($$"""{"note":"{{Big(64 * 1024)}}"}"""), 413, "$"),
        new("approve", "nested 33 deep", Json($$"""{"note":{{Nested(32)}}}"""), 400, AnyField),
        new("approve", "wrongly typed note", Json("""{"note":5}"""), 400, "note"),
        new("approve", "unknown field", Json("""{"comment":"fine"}"""), 400, "comment"),
        new("approve", "duplicate field", Json("""{"note":"fine","note":"not fine"}"""), 400, "note"),
        new("approve", "invalid UTF-8 in a string", InvalidUtf8("""{"note":"fi¤ne"}"""), 400, "note"),

        // PUT /v1/customers/{id}/consent
        new("consent", "malformed JSON", Json("""{"grants":[{"purpose":"""), 400, AnyField),
        new("consent", "wrong content type", Json("""{"grants":[]}""", "text/plain"), 415, "Content-Type"),
        new("consent", "oversized body", Json($$"""{"grants":[{"purpose":"{{Big(256 * 1024)}}","categories":["*"]}]}"""), 413, "$"),
        new("consent", "nested 33 deep", Json($$"""{"grants":[{"purpose":"*","categories":{{Nested(30, "\"*\"")}}}]}"""), 400, AnyField),
        new("consent", "wrongly typed grants", Json("""{"grants":"all"}"""), 400, "grants"),
        new("consent", "wrongly typed categories", Json("""{"grants":[{"purpose":"*","categories":"usage"}]}"""), 400, "grants[0].categories"),
        new("consent", "unknown field", Json("""{"grants":[],"mode":"strict"}"""), 400, "mode"),
        new("consent", "unknown grant field", Json("""{"grants":[{"purpose":"*","categories":["*"],"scope":"all"}]}"""), 400, "scope"),
        new("consent", "bad date", Json("""{"grants":[{"purpose":"*","categories":["*"],"expiresAt":"next year"}]}"""), 400, "grants[0].expiresAt"),
        new("consent", "expiry in the past", Json("""{"grants":[{"purpose":"*","categories":["*"],"expiresAt":"2020-01-01T00:00:00Z"}]}"""), 400, "grants[0].expiresAt"),
        new("consent", "unknown category", Json("""{"grants":[{"purpose":"*","categories":["dna"]}]}"""), 400, "grants[0].categories[0]"),
        new("consent", "bad purpose", Json("""{"grants":[{"purpose":"Marketing Emails!","categories":["*"]}]}"""), 400, "grants[0].purpose"),
        new("consent", "missing grants", Json("{}"), 400, "grants"),
        new("consent", "duplicate field", Json("""{"grants":[{"purpose":"*","categories":["*"],"purpose":"marketing"}]}"""), 400, "grants[0].purpose"),
        new("consent", "invalid UTF-8 in a string", InvalidUtf8("""{"grants":[{"purpose":"*","categories":["us¤age"]}]}"""), 400, "grants[0].categories[0]"),
        new("consent", "control character in the customer id", Json("""{"grants":[{"purpose":"*","categories":["*"]}]}"""), 400, "customerId", "/v1/customers/qa%01x/consent"),

        // PUT /v1/csms/{csmId}/accounts
        new("csm accounts", "malformed JSON", Json("""{"accounts":["""), 400, AnyField),
        new("csm accounts", "wrong content type", Json("""{"accounts":[]}""", "text/csv"), 415, "Content-Type"),
        new("csm accounts", "oversized body", Json($$"""{"accounts":["{{Big(1024 * 1024)}}"]}"""), 413, "$"),
        new("csm accounts", "nested 33 deep", Json($$"""{"accounts":{{Nested(32, "\"acme\"")}}}"""), 400, AnyField),
        new("csm accounts", "wrongly typed accounts", Json("""{"accounts":"acme"}"""), 400, "accounts"),
        new("csm accounts", "wrongly typed account", Json("""{"accounts":[5]}"""), 400, "accounts"),
        new("csm accounts", "unknown field", Json("""{"accounts":[],"all":true}"""), 400, "all"),
        new("csm accounts", "missing accounts", Json("{}"), 400, "accounts"),
        new("csm accounts", "duplicate field", Json("""{"accounts":["acme"],"accounts":[]}"""), 400, "accounts"),
        new("csm accounts", "invalid UTF-8 in a string", InvalidUtf8("""{"accounts":["ac¤me"]}"""), 400, "accounts[0]"),
        new("csm accounts", "account intake refuses", Json("""{"accounts":["acme","../x","a\u0000b"]}"""), 400, "accounts[1]"),

        // POST /v1/knowledge/documents
        new("knowledge", "malformed multipart", BrokenMultipart(), 400, AnyField),
        new("knowledge", "wrong content type", () => new ByteArrayContent([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A]) { Headers = { ContentType = new MediaTypeHeaderValue("image/png") } }, 415, "Content-Type"),
        new("knowledge", "a JSON body", Json("{\"text\":\"# Playbook\"}", "application/json"), 415, "Content-Type"),
        new("knowledge", "multipart without file", Form(("title", "notes.md", "# Notes")), 400, "file"),
        new("knowledge", "unsupported file type", Form(("file", "playbook.exe", "MZ")), 400, "file"),
        new("knowledge", "empty document", Json("", "text/markdown"), 400, "$"),
        new("knowledge", "id ending in a newline", Json("# Playbook\n\nCall the sponsor.\n", "text/markdown"), 400, "id", "/v1/knowledge/documents?id=playbook%0A"),
        new("knowledge", "200 nested quotes", Json(string.Concat(Enumerable.Repeat("> ", 200)) + "x\n", "text/markdown"), 400, AnyField),
        new("knowledge", "3,000 nested list items", Json(string.Concat(Enumerable.Repeat("- ", 3000)) + "x\n", "text/markdown"), 400, AnyField),
        new("knowledge", "invalid id", Json("# Playbook\n\nCall the sponsor.\n", "text/markdown"), 400, "id", "/v1/knowledge/documents?id=Play%20Book"),
        new("knowledge", "document over Knowledge:MaxDocumentBytes", Json("# Playbook\n\n" + Big(5 * 1024 * 1024), "text/markdown"), 413, "$"),
        new("knowledge", "multipart document over Knowledge:MaxDocumentBytes", Form(("file", "playbook.md", "# Playbook\n\n" + Big(5 * 1024 * 1024))), 413, "$"),
        new("knowledge", "6,000-character title", Json("# Playbook\n\nCall the sponsor.\n", "text/markdown"), 400, "title", "/v1/knowledge/documents?id=playbook&title=" + new string('t', 6000)),
        new("knowledge", "title with a newline", Json("# Playbook\n\nCall the sponsor.\n", "text/markdown"), 400, "title", "/v1/knowledge/documents?id=playbook&title=Play%0Abook"),
        new("knowledge", "3,000 tags", () => new MultipartFormDataContent { { new StringContent("# Playbook\n\nCall the sponsor.\n"), "file", "playbook.md" }, { new StringContent(string.Join(",", Enumerable.Range(0, 3000).Select(i => $"t{i}"))), "tags" } }, 400, "tags"),
        new("knowledge", "tag with a slash", Json("# Playbook\n\nCall the sponsor.\n", "text/markdown"), 400, "tags", "/v1/knowledge/documents?id=playbook&tags=faq,a/b"),
        new("knowledge", "scenario as a path", Json("# Playbook\n\nCall the sponsor.\n", "text/markdown"), 400, "scenario", "/v1/knowledge/documents?id=playbook&scenario=..%2F..%2Fetc"),
        new("knowledge", "multipart title with a newline", () => new MultipartFormDataContent { { new StringContent("# Playbook\n\nCall the sponsor.\n"), "file", "playbook.md" }, { new StringContent("Play\nbook"), "title" } }, 400, "title", "/v1/knowledge/documents"),

        // POST /v1/cases/{name}
        new("cases", "malformed multipart", BrokenMultipart(), 400, AnyField),
        new("cases", "name ending in a newline", Form(("file", "cases.csv", UploadCsv), ("mapping", "mapping.yaml", UploadMapping)), 400, "name", "/v1/cases/new-cases%0A"),
        new("cases", "wrong content type", Json("""{"events":[]}"""), 415, "Content-Type"),
        new("plugins", "wrong content type", Json("""{"assembly":"x"}"""), 415, "Content-Type"),
        new("cases", "events without labels", Form(("events", "events.ndjson", Event())), 400, "labels"),
        new("cases", "malformed timeline", Form(("events", "events.ndjson", "{not json"), ("labels", "labels.csv", "customerId,cutoff,label\nacme,2026-01-06T00:00:00Z,1\n")), 400, AnyField),
        new("cases", "alias bomb mapping", Form(("file", "cases.csv", UploadCsv), ("mapping", "mapping.yaml", AliasBomb)), 400, "mapping"),
        new("cases", "reserved upload: name", Form(("file", "cases.csv", UploadCsv), ("mapping", "mapping.yaml", UploadMapping)), 400, "name", "/v1/cases/upload:0123456789ab"),
        new("cases", "unpaired surrogate escape in a timeline attribute", Form(("events", "events.ndjson", Event(attributes: "{\"score\":3,\"note\":\"\\udc00\"}")), ("labels", "labels.csv", "customerId,cutoff,label\nacme,2026-01-06T00:00:00Z,1\n")), 400, "events"),
        new("cases", "bad label date", Form(("events", "events.ndjson", Event()), ("labels", "labels.csv", "customerId,cutoff,label\nacme,someday,1\n")), 400, "labels"),

        // GET lists: limit and k are whole numbers in range
        new("briefs", "non-numeric limit", NoBody, 400, "limit", "/v1/briefs?limit=abc"),
        new("briefs", "fractional limit", NoBody, 400, "limit", "/v1/briefs?limit=2.5"),
        new("briefs", "limit out of range", NoBody, 400, "limit", "/v1/briefs?limit=501"),
        new("audit", "non-numeric limit", NoBody, 400, "limit", "/v1/audit?limit=abc"),
        new("audit", "limit past int", NoBody, 400, "limit", "/v1/audit?limit=99999999999"),
        new("reviews", "non-numeric limit", NoBody, 400, "limit", "/v1/reviews?limit=abc"),
        // Plain digits only, as 5.0 and " 5" are refused (qa37c: these were read as 5).
        new("briefs", "signed limit", NoBody, 400, "limit", "/v1/briefs?limit=%2B5"),
        new("audit", "signed zero-padded limit", NoBody, 400, "limit", "/v1/audit?limit=%2B05"),
        new("reviews", "zero-padded limit", NoBody, 400, "limit", "/v1/reviews?limit=00000000000000000000005"),
        new("knowledge search", "signed k", NoBody, 400, "k", "/v1/knowledge/search?q=refund&k=%2B5"),
        new("knowledge search", "non-numeric k", NoBody, 400, "k", "/v1/knowledge/search?q=refund&k=abc"),
        new("knowledge search", "k out of range", NoBody, 400, "k", "/v1/knowledge/search?q=refund&k=0"),
    ];

    public static TheoryData<string, string> Rows()
    {
        var data = new TheoryData<string, string>();
        foreach (var r in Table)
            data.Add(r.Endpoint, r.Defect);
        return data;
    }

    [Fact]
    public void Table_CoversEveryWriteEndpointWithEveryKindOfDefect()
    {
        foreach (var endpoint in Endpoints.Keys)
            Assert.Contains(Table, r => r.Endpoint == endpoint);
        foreach (var json in new[] { "events", "agents", "promote", "evaluate", "veto", "approve", "consent", "csm accounts" })
            foreach (var defect in new[] { "malformed JSON", "wrong content type", "oversized body", "nested", "wrongly typed", "unknown field", "invalid UTF-8", "duplicate field" })
                Assert.True(Table.Any(r => r.Endpoint == json && r.Defect.StartsWith(defect, StringComparison.Ordinal)), $"{json}: no '{defect}' row");
        Assert.Equal(Table.Count, Table.Select(r => (r.Endpoint, r.Defect)).Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task WriteEndpoint_BadInput_Is4xxProblemNamingTheField_AndChangesNothing(string endpoint, string defect)
    {
        var row = Table.Single(r => r.Endpoint == endpoint && r.Defect == defect);
        var (method, path) = Endpoints[endpoint];
        var before = await server.StateAsync();

        using var request = new HttpRequestMessage(method, (row.Path ?? path).Replace("{pending}", server.PendingBriefId, StringComparison.Ordinal)) { Content = row.Body() };
        using var response = await server.App.Client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        var code = (int)response.StatusCode;

        Assert.True(code is >= 400 and < 500, $"{endpoint} / {defect}: expected 4xx, got {code}: {Clip(body)}");
        Assert.True(code == row.Status, $"{endpoint} / {defect}: expected {row.Status}, got {code}: {Clip(body)}");
        Assert.Null(AccessHttp.ProblemError(response.StatusCode, response.Content.Headers.ContentType?.MediaType, body));
        Assert.True(AccessHttp.Leak(body) is null, $"{endpoint} / {defect}: the body reveals internals ('{AccessHttp.Leak(body)}'): {Clip(body)}");
        var errors = JsonDocument.Parse(body).RootElement.TryGetProperty("errors", out var e) && e.ValueKind == JsonValueKind.Object
            ? e.EnumerateObject().Select(p => p.Name).ToList()
            : [];
        Assert.True(errors.Count > 0, $"{endpoint} / {defect}: no errors entry: {Clip(body)}");
        if (row.Field is { Length: > 0 } field)
            Assert.True(errors.Any(k => k.Contains(field, StringComparison.Ordinal)), $"{endpoint} / {defect}: expected an error naming '{field}', got [{string.Join(", ", errors)}]");

        var after = await server.StateAsync();
        Assert.Equal(before, after);
    }

    public static TheoryData<string> WriteEndpoints() => new(Endpoints.Where(e => e.Value.Method != HttpMethod.Get).Select(e => e.Key));

    /// <summary>A client announcing 100 MB, more than any write endpoint takes (the largest, case sets, take 64 MB): 413 before the body arrives.</summary>
    [Theory]
    [MemberData(nameof(WriteEndpoints))]
    public async Task WriteEndpoint_DeclaredLengthOverItsLimit_Is413WithoutWaitingForTheBody(string endpoint)
    {
        var (method, path) = Endpoints[endpoint];
        var contentType = endpoint is "knowledge" or "cases" or "plugins" ? "multipart/form-data; boundary=xyz" : "application/json";
        var before = await server.StateAsync();

        var (status, body) = await DeclareOversizedAsync(method.Method, path.Replace("{pending}", server.PendingBriefId, StringComparison.Ordinal), contentType, 100L * 1024 * 1024);

        Assert.True(status == 413, $"{endpoint}: expected 413, got {status}: {Clip(body)}");
        Assert.Contains("\"status\":413", body, StringComparison.Ordinal);
        Assert.Null(AccessHttp.Leak(body));
        Assert.Equal(before, await server.StateAsync());
    }

    /// <summary>An upload streamed in chunks (no Content-Length) past the endpoint's limit: 413 once the limit is crossed, nothing stored.</summary>
    [Theory]
    [InlineData("knowledge", 32)]
    [InlineData("cases", 64)]
    [InlineData("plugins", 17)]
    public async Task Upload_ChunkedPastItsLimit_Is413(string endpoint, int limitMegabytes)
    {
        var (method, path) = Endpoints[endpoint];
        var before = await server.StateAsync();
        var address = server.App.Address;
        var key = server.App.Client.DefaultRequestHeaders.GetValues("X-Api-Key").Single();
        using var tcp = new System.Net.Sockets.TcpClient();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await tcp.ConnectAsync(address.Host, address.Port, timeout.Token);
        var stream = tcp.GetStream();
        var head = $"{method.Method} {path} HTTP/1.1\r\nHost: {address.Authority}\r\nX-Api-Key: {key}\r\nContent-Type: multipart/form-data; boundary=xyz\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
        var writer = Task.Run(async () =>
        {
            try
            {
                await stream.WriteAsync(Encoding.ASCII.GetBytes(head), timeout.Token);
                await WriteChunkAsync(Encoding.ASCII.GetBytes("--xyz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.md\"\r\n\r\n"));
                var block = Encoding.ASCII.GetBytes(new string('x', 1024 * 1024));
                for (var i = 0; i < limitMegabytes + 2; i++)
                    await WriteChunkAsync(block);
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException)
            {
                // The server may close the connection once it has answered.
            }
        });

        int status;
        string body;
        try
        {
            (status, body) = await ReadResponseAsync(stream, timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{endpoint}: expected a 413 once {limitMegabytes} MB had streamed in; no answer within 60 s (the server kept reading).");
        }
        await writer;

        Assert.True(status == 413, $"{endpoint}: expected 413, got {status}: {Clip(body)}");
        Assert.Null(AccessHttp.Leak(body));
        Assert.Equal(before, await server.StateAsync());

        async Task WriteChunkAsync(byte[] data)
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"{data.Length:x}\r\n"), timeout.Token);
            await stream.WriteAsync(data, timeout.Token);
            await stream.WriteAsync("\r\n"u8.ToArray(), timeout.Token);
        }
    }

    /// <summary>Sends the headers and a first slice of a body of <paramref name="length"/> bytes over a raw socket, and reads the answer.</summary>
    private async Task<(int Status, string Body)> DeclareOversizedAsync(string method, string path, string contentType, long length)
    {
        var address = server.App.Address;
        var key = server.App.Client.DefaultRequestHeaders.GetValues("X-Api-Key").Single();
        using var tcp = new System.Net.Sockets.TcpClient();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await tcp.ConnectAsync(address.Host, address.Port, timeout.Token);
        var stream = tcp.GetStream();
        var head = $"{method} {path} HTTP/1.1\r\nHost: {address.Authority}\r\nX-Api-Key: {key}\r\nContent-Type: {contentType}\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), timeout.Token);
        await stream.WriteAsync(Encoding.ASCII.GetBytes("{\"" + new string('x', 4096)), timeout.Token);
        return await ReadResponseAsync(stream, timeout.Token);
    }

    private static async Task<(int Status, string Body)> ReadResponseAsync(Stream stream, CancellationToken cancellationToken)
    {
        var received = new MemoryStream();
        var chunk = new byte[8192];
        while (!Complete(received.ToArray()))
        {
            var n = await stream.ReadAsync(chunk, cancellationToken);
            if (n == 0)
                break;
            received.Write(chunk, 0, n);
        }
        var text = Encoding.UTF8.GetString(received.ToArray());
        Assert.True(text.StartsWith("HTTP/1.1 ", StringComparison.Ordinal), $"No HTTP response: '{Clip(text)}'");
        var status = int.Parse(text.Split(' ', 3)[1], System.Globalization.CultureInfo.InvariantCulture);
        return (status, text[(text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..]);
    }

    /// <summary>True once the response's headers and its whole body (by Content-Length or the last chunk) are in.</summary>
    private static bool Complete(byte[] bytes)
    {
        var text = Encoding.ASCII.GetString(bytes);
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (end < 0)
            return false;
        var headers = text[..end].Split("\r\n").Skip(1).Select(h => h.Split(':', 2)).ToDictionary(h => h[0].Trim(), h => h[1].Trim(), StringComparer.OrdinalIgnoreCase);
        if (headers.TryGetValue("Content-Length", out var n))
            return bytes.Length - (end + 4) >= int.Parse(n, System.Globalization.CultureInfo.InvariantCulture);
        return headers.TryGetValue("Transfer-Encoding", out var te) && te.Contains("chunked", StringComparison.OrdinalIgnoreCase) && text.EndsWith("\r\n0\r\n\r\n", StringComparison.Ordinal);
    }

    private static string Clip(string text) => text.Length > 600 ? text[..600] + "…" : text;

    /// <summary>
    /// The server: a case set, a version with a passing report (not promoted), a review-first agent whose
    /// pendingReview brief the veto and approve rows aim at, and a CSM with one account.
    /// </summary>
    public sealed class Server : IAsyncLifetime
    {
        private const string GateAgent = """
            {"id":"gate-agent","version":"1.0.0","kind":"renewal-risk","scenario":"renewal-risk","subscribes":["nps"],
             "reads":["nps.latest"],"purpose":"customer-success","threshold":0,"gate":{"minCases":1,"minPrecision":0,"minRecall":0}}
            """;

        private const string ReviewFirstAgent = """
            {"id":"review-first","version":"1.0.0","kind":"renewal-risk","scenario":"renewal-risk-review","subscribes":["nps"],
             "reads":["nps.latest"],"purpose":"customer-success","threshold":0,"cooldownDays":0,"vetoPolicy":"reviewBeforeDelivery",
             "gate":{"minCases":1,"minPrecision":0,"minRecall":0}}
            """;

        public AgentCrmApp App { get; private set; } = null!;

        public string PendingBriefId { get; private set; } = "";

        public async Task InitializeAsync()
        {
            // Some 20 requests a row, as fast as the server answers: no rate limit (its own tests cover it).
            App = await AgentCrmApp.StartAsync(settings: new Dictionary<string, string?>
            {
                ["Intake:MaxBodyBytes"] = EventBodyLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Auth:RequestsPerSecond"] = "1000000",
                ["Auth:Burst"] = "1000000",
            });
            var (ndjson, labels) = CaseFiles.Timeline(6, DateTimeOffset.UtcNow.AddDays(-1));
            using (var cases = await App.Client.PostAsync("/v1/cases/bad-input-cases", CaseFiles.Upload(ndjson, labels)))
                Assert.Equal(HttpStatusCode.Created, cases.StatusCode);
            foreach (var manifest in new[] { GateAgent, ReviewFirstAgent })
                using (var registered = await App.Client.PostAsync("/v1/agents", new StringContent(manifest, Encoding.UTF8, "application/json")))
                    Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
            Assert.True((await App.EvaluateAsync("gate-agent", "1.0.0", "bad-input-cases")).GetProperty("passed").GetBoolean());
            await App.EvaluateAndPromoteAsync("review-first", "1.0.0", "bad-input-cases");
            using (var assigned = await App.Client.PutAsync("/v1/csms/csm-anna/accounts", new StringContent("""{"accounts":["acme"]}""", Encoding.UTF8, "application/json")))
                Assert.Equal(HttpStatusCode.OK, assigned.StatusCode);
            Assert.Equal(HttpStatusCode.Accepted, (await App.PostEventsAsync(Timelines.AtRisk("acme", DateTimeOffset.UtcNow))).StatusCode);
            await App.WaitForProcessingAsync();
            PendingBriefId = (await App.BriefsAsync("&status=pendingReview")).First().GetProperty("id").GetString()!;
        }

        /// <summary>Everything a write endpoint could change, as one comparable string.</summary>
        public async Task<string> StateAsync()
        {
            await App.WaitForProcessingAsync();
            var parts = new List<string>
            {
                "events=" + App.Services.GetRequiredService<EventStore>().Count(),
                "agents=" + (await App.GetJsonAsync("/v1/agents")).GetRawText(),
                "briefs=" + string.Join(",", (await App.BriefsAsync()).Select(b => $"{b.GetProperty("id").GetString()}:{b.GetProperty("status").GetString()}")),
                "consent=" + (await App.GetJsonAsync("/v1/customers/acme")).GetProperty("consent").GetRawText(),
                "accounts=" + (await App.GetJsonAsync("/v1/csms/csm-anna/accounts")).GetRawText(),
                "knowledge=" + (await App.GetJsonAsync("/v1/knowledge/documents")).GetRawText(),
                "cases=" + (await App.GetJsonAsync("/v1/cases")).GetRawText(),
            };
            using var verify = await App.Client.PostAsync("/v1/audit/verify", null);
            parts.Add("audit=" + await verify.Content.ReadAsStringAsync());
            return string.Join("\n", parts);
        }

        public async Task DisposeAsync() => await App.DisposeAsync();
    }
}
