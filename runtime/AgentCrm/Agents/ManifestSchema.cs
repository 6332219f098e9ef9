using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;
using AgentCrm.Agents.Customers;
using AgentCrm.Agents.Rules;
using AgentCrm.Agents.Rules.Expressions;

namespace AgentCrm.Agents;

/// <summary>
/// The JSON Schema of agent manifests, generated from the manifest types with the reader's own
/// serializer options, so it cannot drift from what registration accepts, then given the checks registration makes that a
/// schema can state (required fields, name patterns, ranges, list sizes) from the same constants. Checked in at
/// <see cref="RepositoryPath"/> for editors (a test keeps the file equal to this output; another runs ajv and registration
/// on the same documents and wants the same verdict).
/// </summary>
public static class ManifestSchema
{
    public const string RepositoryPath = "agents/schemas/agent-manifest.schema.json";
    public const string Id = "https://agentcrm.dev/schemas/agent-manifest.schema.json";

    /// <summary>The fields a manifest is refused without (the reader checks each), in this schema and in the OpenAPI document's <c>AgentManifest</c>.</summary>
    public static readonly IReadOnlyList<string> RequiredFields = ["id", "version", "kind", "scenario", "subscribes", "purpose"];

    public static string Generate()
    {
        var exporter = new JsonSchemaExporterOptions
        {
            TreatNullObliviousAsNonNullable = true,
            TransformSchemaNode = (context, node) =>
            {
                var description = (context.PropertyInfo?.AttributeProvider ?? context.TypeInfo.Type)
                    .GetCustomAttributes(typeof(DescriptionAttribute), inherit: false).OfType<DescriptionAttribute>().FirstOrDefault();
                if (description is not null && node is JsonObject o && !o.ContainsKey("description"))
                    o.Insert(0, "description", description.Description);
                // An int field holds no more than an int: 3000000000 is refused by the reader, so the schema says so too.
                if (context.TypeInfo.Type == typeof(int) && node is JsonObject integer)
                {
                    integer["minimum"] = int.MinValue;
                    integer["maximum"] = int.MaxValue;
                }
                return node;
            },
        };
        var options = new JsonSerializerOptions(ManifestReader.Json) { TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver() };
        var schema = (JsonObject)options.GetJsonSchemaAsNode(typeof(AgentManifest), exporter);
        var root = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["$id"] = Id,
            ["title"] = "AgentCrm agent manifest",
            ["description"] = "One agent version: generic fields for every kind; parameters for compiled kinds, rules for kind rules. YAML manifests follow the same schema.",
        };
        foreach (var (key, value) in schema.ToList())
        {
            schema.Remove(key);
            root[key] = value;
        }
        Constrain(root);
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";
    }

    private static void Constrain(JsonObject root)
    {
        root["required"] = new JsonArray([.. RequiredFields.Select(f => (JsonNode?)f)]);
        var field = $"^(?:{string.Join("|", FieldCatalog.Prefixes.Keys)})\\.[A-Za-z0-9._]+$";
        var text = ExpressionLimits.MaxSourceLength;
        (string Path, JsonObject Constraints)[] all =
        [
            ("id", new() { ["pattern"] = ManifestNames.IdPattern }),
            ("version", new() { ["pattern"] = ManifestNames.VersionPattern }),
            ("scenario", new() { ["pattern"] = ManifestNames.PrintablePattern, ["maxLength"] = ManifestLimits.MaxScenarioLength }),
            ("description", new() { ["maxLength"] = ManifestLimits.MaxDescriptionLength }),
            ("knowledgeQuery", new() { ["maxLength"] = ManifestLimits.MaxKnowledgeQueryLength }),
            ("reads", new() { ["maxItems"] = ManifestLimits.MaxReads, ["uniqueItems"] = true }),
            ("optionalReads", new() { ["maxItems"] = ManifestLimits.MaxReads, ["uniqueItems"] = true }),
            ("purpose", new() { ["pattern"] = ManifestNames.PurposePattern }),
            ("subscribes", new() { ["minItems"] = 1, ["uniqueItems"] = true }),
            ("subscribes.[]", new() { ["enum"] = new JsonArray(EventTypes.All.Select(t => (JsonNode)t).ToArray()) }),
            ("reads.[]", new() { ["pattern"] = field }),
            ("optionalReads.[]", new() { ["pattern"] = field }),
            ("threshold", Range(0, 1)),
            ("cooldownDays", Range(0, 365)),
            ("vetoWindowHours", Range(0, 24 * 90)),
            ("gate.minCases", new() { ["minimum"] = 1 }),
            ("gate.minPrecision", Range(0, 1)),
            ("gate.minRecall", Range(0, 1)),
            ("gate.maxErrorRate", Range(0, 1)),
            ("gate.minRocAuc", Range(0, 1)),
            ("rules", new() { ["required"] = new JsonArray("conditions") }),
            ("rules.conditions", new() { ["minItems"] = 1, ["maxItems"] = RulesKind.MaxConditions }),
            ("rules.conditions.[].name", new() { ["pattern"] = "^[A-Za-z][A-Za-z0-9_-]{0,63}$" }),
            ("rules.conditions.[].when", new() { ["minLength"] = 1, ["maxLength"] = text }),
            ("rules.conditions.[].weight", Range(-1, 1)),
            ("rules.conditions.[].explain", new() { ["maxLength"] = text }),
            ("rules.defaults", new() { ["propertyNames"] = new JsonObject { ["pattern"] = field }, ["additionalProperties"] = new JsonObject { ["type"] = new JsonArray("number", "string", "boolean"), ["maxLength"] = ExpressionLimits.MaxTextLength } }),
            ("rules.brief.headline", new() { ["maxLength"] = text }),
            ("rules.brief.nextStep", new() { ["maxLength"] = text }),
            ("rules.maxSteps", Range(1, ExpressionLimits.MaxSteps)),
        ];
        foreach (var (path, constraints) in all)
        {
            var node = root;
            foreach (var part in path.Split('.'))
                node = (JsonObject)(part == "[]" ? node["items"] : node["properties"]![part])!;
            foreach (var (key, value) in constraints.ToList())
            {
                constraints.Remove(key);
                node[key] = value;
            }
        }
        // kind rules needs its rules section (an object; its conditions are required above); every other kind takes parameters
        // and no rules (null, as a stored manifest of another kind holds it, or left out).
        root["if"] = new JsonObject { ["properties"] = new JsonObject { ["kind"] = new JsonObject { ["const"] = RulesKind.KindName } }, ["required"] = new JsonArray("kind") };
        // Its parameters: rescoreRise alone (RulesKind refuses any other).
        var rulesParameters = new JsonObject
        {
            ["type"] = "object",
            ["properties"] = new JsonObject { ["rescoreRise"] = new JsonObject { ["type"] = "number", ["minimum"] = 0, ["maximum"] = 1 } },
            ["additionalProperties"] = false,
        };
        root["then"] = new JsonObject
        {
            ["required"] = new JsonArray("rules"),
            ["properties"] = new JsonObject { ["rules"] = new JsonObject { ["type"] = "object" }, ["parameters"] = rulesParameters },
        };
        root["else"] = new JsonObject { ["properties"] = new JsonObject { ["rules"] = new JsonObject { ["type"] = "null" } } };
    }

    private static JsonObject Range(double minimum, double maximum) => new() { ["minimum"] = minimum, ["maximum"] = maximum };
}
