using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;

namespace AgentCrm.Agents;

/// <summary>
/// The JSON Schema of agent manifests, generated from the manifest types with the reader's own
/// serializer options, so it cannot drift from what registration accepts. Checked in at
/// <see cref="RepositoryPath"/> for editors (a test keeps the file equal to this output).
/// </summary>
public static class ManifestSchema
{
    public const string RepositoryPath = "agents/schemas/agent-manifest.schema.json";
    public const string Id = "https://agentcrm.dev/schemas/agent-manifest.schema.json";

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
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";
    }
}
