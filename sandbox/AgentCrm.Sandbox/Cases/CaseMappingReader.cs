using System.Globalization;
using AgentCrm.Agents.Customers;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace AgentCrm.Sandbox.Cases;

/// <summary>
/// Parses and checks a tabular mapping (YAML); every problem names the mapping's line. A mapping stored with its case set
/// (<c>stored</c>) is read as the build that stored it read it: a check added since (a derived field's kind) is applied to
/// new mappings only, so a set that evaluated before an upgrade still does (as rules versions do with INewManifestCheck).
/// </summary>
internal static class CaseMappingReader
{
    private static readonly string[] TopKeys = ["name", "scenario", "description", "id", "group", "label", "labels", "segment", "asOf", "fields"];
    private static readonly string[] LabelKeys = ["column", "positive", "negative"];
    private static readonly string[] AnyLabelKeys = ["any"];
    private static readonly string[] SegmentKeys = ["column", "values"];
    private static readonly string[] FieldKeys = ["column", "value", "field", "type", "values", "missing"];

    public static CaseMapping Read(string text, string file, bool stored = false)
    {
        var root = Load(text, file);
        var y = new Reader(file);
        y.OnlyKeys(root, TopKeys, "the mapping");

        var name = y.RequiredScalar(root, "name");
        if (!IsName(name))
            throw y.Error(root.Children[new YamlScalarNode("name")], "name must be lower-case letters, digits and dashes (e.g. telco-churn).");
        var scenario = y.OptionalScalar(root, "scenario") ?? "renewal-risk";
        var id = y.Child(root, "id") is { } idNode ? new ColumnRef(y.Scalar(idNode, "id"), Line(idNode)) : null;
        var label = ReadLabel(y, y.Child(root, "label") ?? throw y.Error(root, "label is required: { column: COLUMN, positive: VALUE }."), allowAny: true);
        var segment = y.Child(root, "segment") is { } seg ? ReadSegment(y, seg) : null;

        var asOf = CaseMapping.DefaultAsOf;
        if (y.Child(root, "asOf") is { } asOfNode
            && !DateTimeOffset.TryParse(y.Scalar(asOfNode, "asOf"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out asOf))
            throw y.Error(asOfNode, "asOf must be an ISO 8601 timestamp, e.g. 2026-01-01T00:00:00Z.");

        if (y.Child(root, "fields") is not YamlSequenceNode fieldsNode || fieldsNode.Children.Count == 0)
            throw y.Error(y.Child(root, "fields") ?? root, "fields must be a list of { column, field, type } entries.");
        var fields = new List<FieldSpec>();
        foreach (var node in fieldsNode)
        {
            var spec = ReadField(y, node, stored);
            if (fields.FirstOrDefault(f => f.Field == spec.Field) is { } twice)
                throw y.Error(node, $"field '{spec.Field}' is already mapped on line {twice.Line}.");
            fields.Add(spec);
        }
        var group = y.Child(root, "group") is { } groupNode ? new ColumnRef(y.Scalar(groupNode, "group"), Line(groupNode)) : null;
        var labels = new List<NamedLabelSpec>();
        if (y.Child(root, "labels") is { } labelsNode)
            foreach (var (key, value) in y.Map(labelsNode, "labels").Children)
            {
                var labelName = key is YamlScalarNode { Value: { Length: > 0 } k } ? k : throw y.Error(key, "labels must map a name to { column, positive }.");
                if (!IsName(labelName))
                    throw y.Error(key, $"label name '{labelName}' must be lower-case letters, digits and dashes.");
                labels.Add(new NamedLabelSpec(labelName, ReadLabel(y, value)));
            }
        return new CaseMapping(name, scenario, id, label, segment, asOf.ToUniversalTime(), fields) { Group = group, Labels = labels };
    }

    private static YamlMappingNode Load(string text, string file)
    {
        YamlStream stream;
        try
        {
            stream = SafeYaml.Load(text);
        }
        catch (YamlException ex)
        {
            // YamlDotNet names a tab in the indentation at the start of the document or the end of the line before: named at the tab.
            if (SafeYaml.IndentingTab(ex, text) is { } tab)
                throw new CaseSetException(file, (int)tab.Line, null, $"malformed YAML: a tab indents this line (column {tab.Column}); YAML indents with spaces only.");
            throw new CaseSetException(file, (int)ex.Start.Line, null, $"malformed YAML: {(ex.InnerException ?? ex).Message.Split(" (Line:")[0]}");
        }
        if (stream.Documents.Count == 0)
            throw new CaseSetException(file, null, null, "the mapping is empty.");
        return stream.Documents[0].RootNode as YamlMappingNode
            ?? throw new CaseSetException(file, Line(stream.Documents[0].RootNode), null, "a mapping must be a YAML object with name, label and fields.");
    }

    /// <summary>A label spec; the primary label (<paramref name="allowAny"/>) may instead be <c>{ any: [ spec, … ] }</c>.</summary>
    private static LabelSpec ReadLabel(Reader y, YamlNode node, bool allowAny = false)
    {
        if (node is YamlScalarNode)
            throw y.Error(node, "label must be { column: COLUMN, positive: VALUE }.");
        var map = y.Map(node, "label");
        if (allowAny && y.Child(map, "any") is { } anyNode)
        {
            y.OnlyKeys(map, AnyLabelKeys, "a label with any");
            if (anyNode is not YamlSequenceNode { Children.Count: > 0 } members)
                throw y.Error(anyNode, "label.any must be a list of { column, positive, negative } labels (positive when any of them is).");
            return new LabelSpec("", new HashSet<string>(StringComparer.Ordinal), null, Line(node)) { Any = members.Select(m => ReadLabel(y, m)).ToList() };
        }
        y.OnlyKeys(map, LabelKeys, "label");
        var column = y.RequiredScalar(map, "column");
        // Label values match ignoring case and surrounding spaces (Yes, yes and " YES " are one label), as timeline labels do.
        var positive = LabelValues(y.Values(y.Child(map, "positive") ?? throw y.Error(map, "label.positive is required (the value that means churned)."), "label.positive"));
        var negative = y.Child(map, "negative") is { } neg ? LabelValues(y.Values(neg, "label.negative")) : null;
        if (negative is not null && negative.Overlaps(positive))
            throw y.Error(map, "label.positive and label.negative share a value.");
        return new LabelSpec(column, positive, negative, Line(node));
    }

    private static HashSet<string> LabelValues(HashSet<string> values) =>
        new(values.Select(v => v.Trim()), StringComparer.OrdinalIgnoreCase);

    private static SegmentSpec ReadSegment(Reader y, YamlNode node)
    {
        if (node is YamlScalarNode)
            return new SegmentSpec(y.Scalar(node, "segment"), new Dictionary<string, string>(), Line(node));
        var map = y.Map(node, "segment");
        y.OnlyKeys(map, SegmentKeys, "segment");
        var values = y.Child(map, "values") is { } v ? y.StringMap(v, "segment.values") : new Dictionary<string, string>();
        return new SegmentSpec(y.RequiredScalar(map, "column"), values, Line(node));
    }

    private static FieldSpec ReadField(Reader y, YamlNode node, bool stored)
    {
        var map = y.Map(node, "a fields entry");
        y.OnlyKeys(map, FieldKeys, "a fields entry");
        var constant = y.OptionalScalar(map, "value");
        if (constant is not null && (y.Child(map, "column") is not null || y.Child(map, "values") is not null || y.Child(map, "missing") is not null))
            throw y.Error(map, "a fields entry with value: (the same value for every case) takes no column, values or missing.");
        if (constant is { Length: 0 })
            throw y.Error(map, "value must not be empty.");
        var column = constant is null ? y.RequiredScalar(map, "column") : "";
        var field = y.RequiredScalar(map, "field");
        if (!FieldCatalog.IsValid(field))
            throw y.Error(map, $"'{field}' is not a snapshot field: use prefix.name with prefix one of {string.Join(", ", FieldCatalog.Prefixes.Keys)}.");
        // A field the live snapshot derives keeps its kind here (tickets.open is a number, profile.name a text), so a replay
        // sees what production sees and a rules agent's type checks hold for cases too; its type may be left out.
        var known = FieldCatalog.KindOf(field) switch { FieldKind.Number => "number", FieldKind.Text => "text", _ => null };
        var declared = y.OptionalScalar(map, "type");
        var type = (declared ?? known ?? "text") switch
        {
            "number" => FieldType.Number,
            "text" => FieldType.Text,
            var other => throw y.Error(y.Child(map, "type")!, $"type '{other}' is not number or text."),
        };
        // Refused in a new mapping; a stored one keeps the type it declares, as it was replayed when it was stored.
        if (known is not null && declared is not null && declared != known && !stored)
            throw y.Error(y.Child(map, "type")!, $"'{field}' is a {known} wherever it comes from; give type: {known} (or leave type out).");
        var values = y.Child(map, "values") is { } v ? y.StringMap(v, "values") : new Dictionary<string, string>();
        if (type == FieldType.Number)
            foreach (var (from, to) in values)
                if (!TabularCaseReader.TryNumber(to, out _))
                    throw y.Error(y.Child(map, "values")!, $"values maps '{from}' to '{to}', which is not a number (the field's type is number).");
        if (type == FieldType.Number && constant is not null && !TabularCaseReader.TryNumber(constant, out _))
            throw y.Error(map, $"value '{constant}' is not a number (the field's type is number).");
        var missing = y.Child(map, "missing") is { } m ? y.Values(m, "missing") : new HashSet<string>(StringComparer.Ordinal);
        return new FieldSpec(column, field, type, values, missing, Line(node)) { Constant = constant };
    }

    private static bool IsName(string s) =>
        s.Length is >= 1 and <= 64 && char.IsAsciiLetterOrDigit(s[0]) && s.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-');

    internal static int Line(YamlNode node) => (int)node.Start.Line;

    /// <summary>Typed access to YAML nodes that throws <see cref="CaseSetException"/> at the node's line.</summary>
    private sealed class Reader(string file)
    {
        public CaseSetException Error(YamlNode node, string problem) => new(file, Line(node), null, problem);

        public YamlNode? Child(YamlMappingNode map, string key) =>
            map.Children.TryGetValue(new YamlScalarNode(key), out var v) ? v : null;

        public YamlMappingNode Map(YamlNode node, string what) =>
            node as YamlMappingNode ?? throw Error(node, $"{what} must be an object.");

        public void OnlyKeys(YamlMappingNode map, string[] allowed, string what)
        {
            foreach (var key in map.Children.Keys)
                if (key is not YamlScalarNode { Value: { } k } || !allowed.Contains(k, StringComparer.Ordinal))
                    throw Error(key, $"unknown key '{(key as YamlScalarNode)?.Value}' in {what}; allowed: {string.Join(", ", allowed)}.");
        }

        public string Scalar(YamlNode node, string what) =>
            node is YamlScalarNode { Value: { Length: > 0 } v } ? v : throw Error(node, $"{what} must be a non-empty text.");

        public string RequiredScalar(YamlMappingNode map, string key) =>
            Child(map, key) is { } node ? Scalar(node, key) : throw Error(map, $"{key} is required.");

        public string? OptionalScalar(YamlMappingNode map, string key) =>
            Child(map, key) is { } node ? Scalar(node, key) : null;

        /// <summary>One value or a list of values (empty strings allowed, e.g. <c>missing: [""]</c>).</summary>
        public HashSet<string> Values(YamlNode node, string what)
        {
            var items = node is YamlSequenceNode seq ? seq.Children : [node];
            var set = new HashSet<string>(StringComparer.Ordinal);
            foreach (var item in items)
                set.Add(item is YamlScalarNode s ? s.Value ?? "" : throw Error(item, $"{what} must be a value or a list of values."));
            return set;
        }

        public Dictionary<string, string> StringMap(YamlNode node, string what)
        {
            var map = Map(node, what);
            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (k, v) in map.Children)
            {
                if (k is not YamlScalarNode { Value: { } key } || v is not YamlScalarNode { Value: { } value })
                    throw Error(k, $"{what} must map values to values.");
                result[key] = value;
            }
            return result;
        }
    }
}
