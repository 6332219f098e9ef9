using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;
using AgentCrm.Agents.Customers;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace AgentCrm.Agents;

/// <summary>Reads a manifest from JSON or YAML and checks every generic field; kind parameters are checked by the kind.</summary>
public static partial class ManifestReader
{
    /// <summary>The longest cooldown a manifest may declare: a cooldown mark older than this holds nothing, whatever version reads it.</summary>
    public const double MaxCooldownDays = 365;

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        // A number is a number: "0.5" or ".5" in quotes is a text, as the published schema says (the Web defaults read numbers from strings).
        NumberHandling = JsonNumberHandling.Strict,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false) },
        MaxDepth = AgentCrm.Sandbox.Cases.SafeYaml.MaxDepth,
        AllowDuplicateProperties = false,
    };

    // A submitted manifest may not set an object or list to null (`gate:`, `reads: ~`, `"brief": null`): that is a 400
    // naming the field, not a null the checks after it trip over. In JSON a text may not be null either (`"explain": null`;
    // the schema says string). In YAML a text given empty (`description:` is YAML's null) stays accepted as earlier builds
    // accepted it — the same file registers again as `unchanged` (its stored JSON holds the null, so the content hash must
    // not move) — except the required id, version and kind. Stored manifests are read with Json, as before.
    // Both read what the schema says and no more: enum names exactly as written (deliverThenVeto, not deliverthenveto), and
    // an integer field takes any number without a fraction (5 or 5.0: JSON Schema's integer; YAML's 5.0 alike), never 5.5.
    private static readonly JsonSerializerOptions SubmittedJson = Submitted(nullableTexts: false);
    private static readonly JsonSerializerOptions SubmittedYaml = Submitted(nullableTexts: true);

    private static JsonSerializerOptions Submitted(bool nullableTexts)
    {
        var options = new JsonSerializerOptions(Json)
        {
            // Field names exactly as the schema writes them (`ID:` is an unknown field), as every request body reads them.
            PropertyNameCaseInsensitive = false,
            RespectNullableAnnotations = true,
            TypeInfoResolver = new DefaultJsonTypeInfoResolver
            {
                Modifiers =
                {
                    info =>
                    {
                        foreach (var property in info.Properties)
                            if (nullableTexts && property.PropertyType == typeof(string) && !property.IsRequired)
                                property.IsSetNullable = true;
                    },
                },
            },
        };
        options.Converters.Insert(0, new ExactEnumConverter());
        options.Converters.Insert(0, new WholeNumberConverter());
        return options;
    }

    /// <summary>
    /// Parses <paramref name="body"/>: JSON when the content type says JSON (application/json, …+json), YAML when it says YAML;
    /// under another type or none, JSON when the text starts with { or [, else YAML.
    /// </summary>
    public static AgentManifest Read(string body, string? contentType) => Parse(body, contentType).Manifest;

    /// <summary>
    /// Parses and checks <paramref name="body"/> and keeps the line of every field, so errors found later
    /// (by the kind, at registration) can name their line too: <see cref="ManifestLines.Annotate"/>.
    /// Errors thrown here already carry their lines.
    /// </summary>
    public static ManifestSource Parse(string body, string? contentType)
    {
        var lines = ManifestLines.None;
        // One leading byte order mark is ignored, as the CLI's file read and every other body reader ignore it: not JSON, not YAML content.
        if (body.StartsWith('\uFEFF'))
            body = body[1..];
        try
        {
            var manifest = Read(body, contentType, out lines);
            return new ManifestSource(manifest, lines);
        }
        catch (ManifestException ex)
        {
            throw new ManifestException(lines.Annotate(ex.Errors));
        }
    }

    private static AgentManifest Read(string body, string? contentType, out ManifestLines lines)
    {
        lines = ManifestLines.None;
        var yaml = contentType is not null && (contentType.Contains("yaml", StringComparison.OrdinalIgnoreCase) || contentType.Contains("yml", StringComparison.OrdinalIgnoreCase));
        // A body labelled JSON is read as JSON only: an empty one, or YAML under that label, was answered as YAML ("The YAML
        // document is empty.", "Malformed YAML") to a client that sent JSON. Another label (or none) is read by its content.
        var json = !yaml && contentType is not null && contentType.Contains("json", StringComparison.OrdinalIgnoreCase);
        if (string.IsNullOrWhiteSpace(body) && !yaml)
            throw new ManifestException("$", json
                ? "The body is empty; send the manifest as a JSON object (Content-Type: application/json)."
                : "The body is empty; send a manifest, JSON (Content-Type: application/json) or YAML (Content-Type: application/yaml).");
        if (!yaml && !json && !body.TrimStart().StartsWith('{'))
            yaml = !body.TrimStart().StartsWith('[');
        JsonNode? node;
        var written = new Dictionary<JsonNode, string>(ReferenceEqualityComparer.Instance);
        try
        {
            if (yaml)
                (node, lines) = YamlToJson(body, written);
            else
            {
                if (AgentCrm.Sandbox.Cases.JsonText.Find(Encoding.UTF8.GetBytes(body)) is { } fault)
                    throw new ManifestException(fault.Field, $"line {fault.Line}: {fault.Message}");
                node = JsonNode.Parse(body, documentOptions: new JsonDocumentOptions { MaxDepth = AgentCrm.Sandbox.Cases.SafeYaml.MaxDepth });
                lines = ManifestLines.FromJson(body);
            }
        }
        catch (JsonException ex)
        {
            throw new ManifestException("$", AgentCrm.Server.JsonSyntax.Describe(ex, Encoding.UTF8.GetBytes(body)));
        }
        catch (AgentCrm.Sandbox.Cases.YamlDuplicateKeyException ex)
        {
            throw new ManifestException(ex.Path, $"line {ex.Start.Line}: {ex.Reason}");
        }
        catch (YamlException ex)
        {
            // A tab in the indentation is reported by YamlDotNet at the start of the document or the end of the line before:
            // named at the tab itself.
            if (AgentCrm.Sandbox.Cases.SafeYaml.IndentingTab(ex, body) is { } tab)
                throw new ManifestException("$", $"Malformed YAML (line {tab.Line}, column {tab.Column}): a tab indents this line; YAML indents with spaces only.");
            throw new ManifestException("$", $"Malformed YAML (line {ex.Start.Line}, column {ex.Start.Column}): {ex.InnerException?.Message ?? ex.Message}");
        }
        if (node is not JsonObject)
            throw new ManifestException("$", "A manifest must be an object.");

        AgentManifest? manifest;
        try
        {
            manifest = node.Deserialize<AgentManifest>(yaml ? SubmittedYaml : SubmittedJson);
        }
        catch (JsonException ex)
        {
            var path = string.IsNullOrEmpty(ex.Path) ? "$" : ex.Path;
            var message = ex.Message.Contains("missing required properties", StringComparison.Ordinal)
                ? "missing required fields: " + string.Join(", ", MissingRequired((JsonObject)node, path, yaml ? SubmittedYaml : SubmittedJson))
                : ex.Message.Contains("doesn't allow setting null", StringComparison.Ordinal) && NullText(path)
                    ? "null is not a text; give a text (\"\" for none) or leave the field out."
                    : ex.Message.Contains("could not be converted", StringComparison.Ordinal) && At((JsonObject)node, path, yaml ? SubmittedYaml : SubmittedJson) is { } at
                        ? Expected((yaml ? SubmittedYaml : SubmittedJson).GetTypeInfo(at.Type), at.Node, at.Node is null ? null : written.GetValueOrDefault(at.Node))
                        : AgentCrm.Server.JsonBody.Readable(ex.Message.Split(" Path:")[0]);
            throw new ManifestException(path.Replace("$.", "", StringComparison.Ordinal), message);
        }
        return Validate(manifest!);
    }

    /// <summary>
    /// The checks a submitted manifest (HTTP, CLI, plugin upload) meets when it registers a new version, beyond
    /// <see cref="Validate"/>: its limits (<see cref="ManifestLimits"/>), a purpose name, a SemVer version, a printable
    /// scenario. Not in <see cref="Validate"/> and not in the reader: a version registered by an earlier build under looser
    /// rules (and the versions fitted from it, which inherit its fields) must still load, and the same file registered again
    /// must still answer <c>unchanged</c> — <see cref="AgentRegistry.RegisterAsync"/> runs these only for a version it does not
    /// hold with that content.
    /// </summary>
    public static void CheckSubmitted(AgentManifest m)
    {
        ManifestLimits.Check(m);
        CheckRepeats(m);
        if (!IsPurpose(m.Purpose))
            throw new ManifestException("purpose", $"purpose '{m.Purpose}' is not a purpose name: {PurposeFault(m.Purpose)}. A purpose is 1-64 lower-case letters, digits and dashes, starting with a letter or digit (the names consent grants use), e.g. customer-success.");
        if (ManifestNames.SemVerFault(m.Version) is { } versionFault)
            throw new ManifestException("version", $"version '{m.Version}' is not a SemVer version: {versionFault}.");
        if (ManifestNames.HiddenCharacters(m.Scenario) is { } hidden)
            throw new ManifestException("scenario", $"scenario has {hidden}: invisible or direction-changing characters make one name read as another; use printable text.");
    }

    /// <summary>
    /// An event type subscribed twice, a field read twice, or a field both in reads and in optionalReads: each names its entry
    /// (<c>subscribes[1]</c>). A repeated subscription ran the agent once per repeat on every event; a stored version that holds
    /// one (registered before this check) runs once per event (<see cref="AgentSet"/>).
    /// </summary>
    private static void CheckRepeats(AgentManifest m)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        void Once(IReadOnlyList<string> list, string name, string what)
        {
            var first = new Dictionary<string, int>(StringComparer.Ordinal);
            for (var i = 0; i < list.Count; i++)
                if (list[i] is { } item && !first.TryAdd(item, i))
                    errors[$"{name}[{i}]"] = [$"'{item}' is {name}[{first[item]}] already; {what}."];
        }
        Once(m.Subscribes, "subscribes", "name each event type once (the agent runs once per event)");
        Once(m.Reads, "reads", "list each field once");
        Once(m.OptionalReads, "optionalReads", "list each field once");
        for (var i = 0; i < m.OptionalReads.Count; i++)
            if (m.OptionalReads[i] is { } field && IndexOf(m.Reads, field) is var r and >= 0 && !errors.ContainsKey($"optionalReads[{i}]"))
                errors[$"optionalReads[{i}]"] = [$"'{field}' is in reads too (reads[{r}]); a field is required (reads) or optional (optionalReads), not both: remove one."];
        if (errors.Count > 0)
            throw new ManifestException(errors);
    }

    private static int IndexOf(IReadOnlyList<string> list, string item)
    {
        for (var i = 0; i < list.Count; i++)
            if (string.Equals(list[i], item, StringComparison.Ordinal))
                return i;
        return -1;
    }

    /// <summary>The names of the manifest's text fields (description, explain, headline…), none of them also an object's or list's.</summary>
    private static readonly HashSet<string> TextFields = new[] { typeof(AgentManifest), typeof(GateCriteria), typeof(RuleSet), typeof(RuleCondition), typeof(RuleBrief) }
        .SelectMany(t => t.GetProperties()).Where(p => p.PropertyType == typeof(string)).Select(p => JsonNamingPolicy.CamelCase.ConvertName(p.Name))
        .ToHashSet(StringComparer.Ordinal);

    /// <summary>Whether the null at <paramref name="path"/> (the serializer's a.b[0].c) was given for a text field.</summary>
    private static bool NullText(string path) => TextFields.Contains(path[(path.LastIndexOf('.') + 1)..]);

    /// <summary>
    /// The required fields missing from the object at <paramref name="path"/> (the serializer's $.rules.conditions[1]): the
    /// manifest's id, version, kind, or a condition's name and when, read from the same type information the reader uses.
    /// </summary>
    private static IEnumerable<string> MissingRequired(JsonObject root, string path, JsonSerializerOptions options) =>
        At(root, path, options) is { Node: JsonObject target } at
            ? options.GetTypeInfo(at.Type).Properties.Where(p => p.IsRequired && target[p.Name] is null).Select(p => p.Name)
            : [];

    /// <summary>
    /// The value at <paramref name="path"/> (the serializer's $.rules.conditions[1].weight) and the type the manifest reads it as;
    /// null when the path does not lead to a field of the manifest's types (a key of a map, such as parameters.weights).
    /// </summary>
    private static (JsonNode? Node, Type Type)? At(JsonObject root, string path, JsonSerializerOptions options)
    {
        JsonNode? node = root;
        var type = typeof(AgentManifest);
        var matched = 1; // the leading $
        foreach (Match part in PathPart().Matches(path))
        {
            var info = options.GetTypeInfo(type);
            if (part.Groups["index"].Success)
            {
                if (info.Kind != JsonTypeInfoKind.Enumerable)
                    return null;
                node = node is JsonArray a && int.Parse(part.Groups["index"].Value, System.Globalization.CultureInfo.InvariantCulture) is var i && i < a.Count ? a[i] : null;
                type = info.ElementType!;
            }
            else
            {
                var name = part.Groups["name"].Value;
                if (info.Properties.FirstOrDefault(p => p.Name == name) is not { } property)
                    return null;
                node = node is JsonObject o ? o[name] : null;
                type = property.PropertyType;
            }
            matched += part.Length;
        }
        return matched == path.Length ? (node, type) : null;
    }

    /// <summary>
    /// What a field read as <paramref name="info"/> takes, and what it was given instead: "expected a number, not the text '0.5' (write
    /// it without quotes: 0.5)", "expected text, not the number 2.0 (quote it: '2.0')", an enum's values (and the one meant, for
    /// a slip of case or a letter). <paramref name="written"/>: the value as a YAML file wrote it (2.0, which reads as the number 2).
    /// </summary>
    private static string Expected(JsonTypeInfo info, JsonNode? given, string? written)
    {
        var type = Nullable.GetUnderlyingType(info.Type) ?? info.Type;
        var kind = given?.GetValueKind();
        var text = kind == JsonValueKind.String ? given!.GetValue<string>() : null;
        written ??= given is JsonValue ? given.ToJsonString() : null;
        var got = kind switch
        {
            null or JsonValueKind.Null => "null",
            JsonValueKind.Object => "an object",
            JsonValueKind.Array => "a list",
            JsonValueKind.String => $"the text '{OneLine(text!)}'",
            JsonValueKind.True or JsonValueKind.False => written!,
            _ => $"the number {written}",
        };
        var number = text is not null && double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var n) && double.IsFinite(n);
        if (type == typeof(double) || type == typeof(float) || type == typeof(decimal))
            return $"expected a number, not {got}" + (number ? $" (write it without quotes: {text!.Trim()})." : ".");
        if (type == typeof(int) || type == typeof(long))
            return $"expected a whole number, not {got}" + (number ? $" (write it without quotes: {text!.Trim()})." : ".");
        if (type == typeof(string))
            return $"expected text, not {got}" + (kind is JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False ? $" (quote it: '{written}')." : ".");
        if (type == typeof(bool))
            return $"expected true or false, not {got}.";
        if (type.IsEnum)
        {
            var names = Enum.GetNames(type).Select(JsonNamingPolicy.CamelCase.ConvertName).ToList();
            var meant = text is not null ? AgentCrm.Agents.Text.EditDistance.Closest(text, names) : null;
            return $"expected one of {string.Join(", ", names)}, not {got}" + (meant is not null ? $"; did you mean {meant}?" : ".");
        }
        return info.Kind switch
        {
            JsonTypeInfoKind.Dictionary => $"expected an object (name: value pairs), not {got}.",
            JsonTypeInfoKind.Enumerable => $"expected a list, not {got}.",
            JsonTypeInfoKind.Object => $"expected an object, not {got}.",
            _ => $"the value has the wrong type ({got}).",
        };
    }

    /// <summary>A given text as an error quotes it: on one line, at most 60 characters.</summary>
    private static string OneLine(string text)
    {
        var line = new string(text.Select(c => char.IsControl(c) ? ' ' : c).ToArray());
        return line.Length <= 60 ? line : line[..60] + "…";
    }

    [GeneratedRegex(@"\.(?<name>[A-Za-z0-9_]+)|\[(?<index>\d{1,9})\]")]
    private static partial Regex PathPart();

    /// <summary>Whether <paramref name="id"/> is an agent id a manifest can have (<see cref="IdRule"/>).</summary>
    public static bool IsValidId(string id) => IdPattern().IsMatch(id);

    /// <summary>The form of an agent id, in words.</summary>
    public const string IdRule = "an agent id is 2-64 characters: lower-case letters, digits and dashes, starting with a letter or digit";

    /// <summary>Whether a version string has the shape every manifest's version must have (1.2.3 or 1.2.3-suffix).</summary>
    public static bool IsValidVersion(string version) => VersionPattern().IsMatch(version);

    /// <summary>Checks every generic field and collects all problems.</summary>
    public static AgentManifest Validate(AgentManifest m)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (!IdPattern().IsMatch(m.Id))
            errors["id"] = ["id must be 2-64 characters: lower-case letters, digits and dashes, starting with a letter or digit."];
        if (!VersionPattern().IsMatch(m.Version))
            errors["version"] = ["version must look like 1.2.3 or 1.2.3-suffix."];
        if (string.IsNullOrWhiteSpace(m.Scenario))
            errors["scenario"] = ["scenario is required (e.g. renewal-risk)."];
        if (m.Subscribes.Count == 0)
            errors["subscribes"] = ["subscribes must name at least one event type."];
        for (var i = 0; i < m.Subscribes.Count; i++)
            if (!EventTypes.IsKnown(m.Subscribes[i]))
                errors[$"subscribes[{i}]"] = [$"Unknown event type '{m.Subscribes[i]}'; allowed: {string.Join(", ", EventTypes.All)}."];
        for (var i = 0; i < m.Reads.Count; i++)
            if (m.Reads[i] is null || !FieldCatalog.IsValid(m.Reads[i]))
                errors[$"reads[{i}]"] = [$"Unknown snapshot field '{m.Reads[i]}'; a field is prefix.name with prefix one of {string.Join(", ", FieldCatalog.Prefixes.Keys)}."];
        for (var i = 0; i < m.OptionalReads.Count; i++)
            if (m.OptionalReads[i] is null || !FieldCatalog.IsValid(m.OptionalReads[i]))
                errors[$"optionalReads[{i}]"] = [$"Unknown snapshot field '{m.OptionalReads[i]}'; a field is prefix.name with prefix one of {string.Join(", ", FieldCatalog.Prefixes.Keys)}."];
        if (m.VetoWindowHours is < 0 or > 24 * 90 || double.IsNaN(m.VetoWindowHours))
            errors["vetoWindowHours"] = ["vetoWindowHours must be between 0 and 2160 (90 days)."];
        if (string.IsNullOrWhiteSpace(m.Purpose))
            errors["purpose"] = ["purpose is required (what the customer's data is used for, e.g. customer-success)."];
        if (m.Threshold is < 0 or > 1 || double.IsNaN(m.Threshold))
            errors["threshold"] = ["threshold must be between 0 and 1."];
        if (m.CooldownDays is < 0 or > MaxCooldownDays || double.IsNaN(m.CooldownDays))
            errors["cooldownDays"] = [$"cooldownDays must be between 0 and {MaxCooldownDays}."];
        if (m.Gate.MinCases < 1)
            errors["gate.minCases"] = ["gate.minCases must be at least 1."];
        if (m.Gate.MinPrecision is < 0 or > 1 || double.IsNaN(m.Gate.MinPrecision))
            errors["gate.minPrecision"] = ["gate.minPrecision must be between 0 and 1."];
        if (m.Rules is not null && m.Kind != Rules.RulesKind.KindName)
            errors["rules"] = [$"rules belongs to kind {Rules.RulesKind.KindName}; kind {m.Kind} takes parameters."];
        if (m.Gate.MinRecall is < 0 or > 1 || double.IsNaN(m.Gate.MinRecall))
            errors["gate.minRecall"] = ["gate.minRecall must be between 0 and 1."];
        if (m.Gate.MaxErrorRate is { } maxErrorRate && (maxErrorRate is < 0 or > 1 || double.IsNaN(maxErrorRate)))
            errors["gate.maxErrorRate"] = ["gate.maxErrorRate must be between 0 and 1 (a share of the cases, e.g. 0.01)."];
        if (m.Gate.MinRocAuc is { } minRocAuc && (minRocAuc is < 0 or > 1 || double.IsNaN(minRocAuc)))
            errors["gate.minRocAuc"] = ["gate.minRocAuc must be between 0 and 1."];
        if (errors.Count > 0)
            throw new ManifestException(errors);
        return m;
    }

    /// <summary>The content hash of a version: SHA-256 over the manifest's canonical JSON (keys sorted).</summary>
    public static string ContentHash(AgentManifest m)
    {
        // Parsed, not SerializeToNode: the web options read property names case-insensitively, and a node built with them
        // holds "Basic" and "basic" (a model's two categories, distinct values as the snapshot carries them) as one key.
        var node = JsonNode.Parse(JsonSerializer.SerializeToUtf8Bytes(m, Json))!;
        var canonical = Canonical(node)!.ToJsonString();
        return "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }

    private static JsonNode? Canonical(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, Canonical(p.Value)))),
        JsonArray a => new JsonArray(a.Select(Canonical).ToArray()),
        null => null,
        _ => node.DeepClone(),
    };

    /// <summary>The manifest as JSON and the lines of its fields; <paramref name="written"/> gets each unquoted number and boolean as written (2.0, True).</summary>
    private static (JsonNode?, ManifestLines) YamlToJson(string text, Dictionary<JsonNode, string> written)
    {
        var stream = AgentCrm.Sandbox.Cases.SafeYaml.Load(text);
        // Empty documents (a leading or trailing ---) do not count.
        var documents = stream.Documents.Where(d => d.RootNode is not YamlScalarNode { Value: null or "" }).ToList();
        if (documents.Count == 0)
            throw new ManifestException("$", "The YAML document is empty.");
        if (documents.Count > 1)
            throw new ManifestException("$", $"One manifest per request: the YAML holds {documents.Count} documents (separated by ---); register each on its own.");
        var root = documents[0].RootNode;
        return (ToNode(root, written), ManifestLines.FromYaml(root, text));
    }

    // A tag (!!null 0.5, !!binary, !custom) would make a value mean something other than it reads, and nothing here
    // resolves tags: refused at its line rather than silently dropped. A value's kind comes from how it is written.
    private static JsonNode? ToNode(YamlNode node, Dictionary<JsonNode, string> written) => !node.Tag.IsEmpty
        ? throw new ManifestException("$", $"line {node.Start.Line}, column {node.Start.Column}: the tag {ShortTag(node.Tag.Value)} is not read; remove it (a value's kind comes from how it is written: 1, 'text', true, null).")
        : node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(c => KeyValuePair.Create(
            c.Key is YamlScalarNode key ? key.Value ?? "" : throw new YamlException(c.Key.Start, c.Key.End, "a key must be a name, not a list or a mapping."),
            ToNode(c.Value, written)))),
        YamlSequenceNode seq => new JsonArray(seq.Children.Select(c => ToNode(c, written)).ToArray()),
        YamlScalarNode s => Written(Scalar(s), s, written),
        _ => null,
    };

    private static JsonNode? Written(JsonNode? value, YamlScalarNode scalar, Dictionary<JsonNode, string> written)
    {
        if (value is JsonValue v && v.GetValueKind() != JsonValueKind.String && scalar.Value is { } text)
            written[v] = text;
        return value;
    }

    private static string ShortTag(string tag) =>
        tag.StartsWith("tag:yaml.org,2002:", StringComparison.Ordinal) ? "!!" + tag["tag:yaml.org,2002:".Length..] : tag;

    private static JsonNode? Scalar(YamlScalarNode s)
    {
        var v = s.Value ?? "";
        if (s.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded)
            return JsonValue.Create(v);
        if (v is "" or "~" or "null" or "Null" or "NULL")
            return null;
        if (v is "true" or "True" or "TRUE")
            return JsonValue.Create(true);
        if (v is "false" or "False" or "FALSE")
            return JsonValue.Create(false);
        if (long.TryParse(v, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var l))
            return JsonValue.Create(l);
        // YAML 1.2 core's other integers: 0x1F (hexadecimal) and 0o17 (octal), unsigned, as the yaml libraries editors use read them.
        if (v.Length > 2 && v[0] == '0' && v[1] is 'x' or 'o' && YamlCoreInteger(v) is { } core)
            return JsonValue.Create(core);
        // NaN, Infinity and 1e400 stay text: no field takes a non-finite number, and the typed read then names the field.
        if (double.TryParse(v, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var d) && double.IsFinite(d))
            return JsonValue.Create(d);
        return JsonValue.Create(v);
    }

    /// <summary>The value of a YAML 1.2 core hexadecimal (0x…) or octal (0o…) integer; null when <paramref name="v"/> is not one or overflows.</summary>
    private static long? YamlCoreInteger(string v)
    {
        var (radix, digits) = v[1] == 'x' ? (16, "0123456789abcdefABCDEF") : (8, "01234567");
        long value = 0;
        foreach (var c in v.AsSpan(2))
        {
            var digit = digits.IndexOf(c, StringComparison.Ordinal);
            if (digit < 0)
                return null;
            digit = digit >= 16 ? digit - 6 : digit;
            if (value > (long.MaxValue - digit) / radix)
                return null;
            value = value * radix + digit;
        }
        return value;
    }

    // \z, not $: $ also matches before a final newline, and "x\n" would travel into URLs and headers.
    [GeneratedRegex(@"^[a-z0-9][a-z0-9-]{1,63}\z")]
    private static partial Regex IdPattern();

    /// <summary>
    /// Whether <paramref name="purpose"/> is a purpose name: what a manifest declares and a consent grant names (a grant
    /// may also say * for any purpose). A purpose no grant can name would leave the agent to the default grants alone.
    /// </summary>
    public static bool IsPurpose(string purpose) => PurposePattern().IsMatch(purpose);

    /// <summary>What keeps <paramref name="purpose"/> from being a purpose name ("it has upper-case letters and a space"); null when it is one.</summary>
    public static string? PurposeFault(string purpose)
    {
        if (IsPurpose(purpose))
            return null;
        if (purpose.Length == 0)
            return "it is empty";
        var faults = new List<string>();
        if (purpose.Length > 64)
            faults.Add($"it is {purpose.Length} characters long (at most 64)");
        if (purpose[0] == '-')
            faults.Add("it starts with a dash");
        if (purpose.Any(char.IsUpper))
            faults.Add("it has upper-case letters");
        var others = purpose.Where(c => !char.IsUpper(c) && !(c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-')).Distinct()
            .Select(c => c switch { ' ' => "a space", _ when char.IsWhiteSpace(c) || char.IsControl(c) => $"U+{(int)c:X4}", _ => $"'{c}'" }).ToList();
        if (others.Count > 0)
            faults.Add($"it has {string.Join(", ", others.Take(5))}{(others.Count > 5 ? " …" : "")}");
        return string.Join("; ", faults);
    }

    [GeneratedRegex(@"^[a-z0-9][a-z0-9-]{0,63}\z")]
    private static partial Regex PurposePattern();

    [GeneratedRegex(@"^\d{1,6}\.\d{1,6}\.\d{1,6}(-[A-Za-z0-9.]{1,40})?\z")]
    private static partial Regex VersionPattern();
}
