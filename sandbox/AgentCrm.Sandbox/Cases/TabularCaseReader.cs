using System.Globalization;
using AgentCrm.Agents;
using AgentCrm.Agents.Customers;

namespace AgentCrm.Sandbox.Cases;

/// <summary>Turns the rows of a CSV into cases through a <see cref="CaseMapping"/>; all or nothing.</summary>
internal static class TabularCaseReader
{
    public static List<Case> Read(CsvTable table, string csvFile, CaseMapping mapping, string mappingFile)
    {
        int Column(string column, int mappingLine) => table.IndexOf(column) is var i and >= 0
            ? i
            : throw new CaseSetException(mappingFile, mappingLine, null,
                $"column '{column}' is not in {csvFile}; its columns are {string.Join(", ", table.Header.Select(h => $"'{h}'"))}.");

        var idColumn = mapping.Id is { } id ? Column(id.Column, id.Line) : -1;
        var labelParts = (mapping.Label.Any.Count > 0 ? mapping.Label.Any : [mapping.Label]).Select(l => (Spec: l, Column: Column(l.Column, l.Line))).ToArray();
        var segmentColumn = mapping.Segment is { } seg ? Column(seg.Column, seg.Line) : -1;
        var fieldColumns = mapping.Fields.Select(f => f.Constant is null ? Column(f.Column, f.Line) : -1).ToArray();
        var groupColumn = mapping.Group is { } group ? Column(group.Column, group.Line) : -1;
        var namedColumns = mapping.Labels.Select(l => Column(l.Label.Column, l.Label.Line)).ToArray();

        var cases = new List<Case>(table.Rows.Count);
        var idLines = new Dictionary<string, int>(StringComparer.Ordinal);
        var rowNumber = 0;
        foreach (var row in table.Rows)
        {
            rowNumber++;
            CaseSetException Error(int column, string problem) => new(csvFile, row.Line, table.Header[column], problem);

            string caseId;
            if (idColumn < 0)
                caseId = $"row-{rowNumber}";
            else
            {
                caseId = row.Values[idColumn].Trim();
                if (caseId.Length == 0)
                    throw Error(idColumn, "missing id.");
                if (!idLines.TryAdd(caseId, row.Line))
                    throw Error(idColumn, $"duplicate id '{caseId}' (first on line {idLines[caseId]}).");
            }

            bool ReadLabel(LabelSpec spec, int column)
            {
                var rawLabel = row.Values[column].Trim();
                if (rawLabel.Length == 0)
                    throw Error(column, "missing label value.");
                var positive = spec.Positive.Contains(rawLabel);
                if (!positive && spec.Negative is { } negative && !negative.Contains(rawLabel))
                    throw Error(column, $"label value '{rawLabel}' is neither positive ({string.Join(", ", spec.Positive)}) nor negative ({string.Join(", ", negative)}).");
                return positive;
            }

            // Every part is read (and checked) even once one is positive: a bad value never hides behind a good one.
            var label = false;
            foreach (var (spec, column) in labelParts)
                label |= ReadLabel(spec, column);
            var named = new Dictionary<string, bool>(mapping.Labels.Count, StringComparer.Ordinal);
            for (var l = 0; l < mapping.Labels.Count; l++)
                named[mapping.Labels[l].Name] = ReadLabel(mapping.Labels[l].Label, namedColumns[l]);
            string? groupValue = null;
            if (groupColumn >= 0 && (groupValue = row.Values[groupColumn].Trim()).Length == 0)
                throw Error(groupColumn, "missing group value.");

            var fields = new Dictionary<string, SnapshotField>(mapping.Fields.Count, StringComparer.Ordinal);
            for (var f = 0; f < mapping.Fields.Count; f++)
            {
                var spec = mapping.Fields[f];
                var raw = spec.Constant ?? row.Values[fieldColumns[f]].Trim();
                if (spec.Missing.Contains(raw))
                    continue;
                var value = spec.Values.TryGetValue(raw, out var mapped) ? mapped : raw;
                if (value.Length == 0)
                    throw Error(fieldColumns[f], "empty value (list \"\" under the field's missing: to allow it).");
                if (spec.Type == FieldType.Text)
                    fields[spec.Field] = SnapshotField.Of(spec.Field, LikeIntake(spec.Field, value));
                else if (TryNumber(value, out var number))
                    fields[spec.Field] = SnapshotField.Of(spec.Field, number);
                else
                    throw Error(fieldColumns[f], $"'{Truncate(value)}' is not a number.");
            }

            string? segment = null;
            if (segmentColumn >= 0 && row.Values[segmentColumn].Trim() is { Length: > 0 } rawSegment)
                segment = mapping.Segment!.Values.TryGetValue(rawSegment, out var s) ? s : rawSegment;

            cases.Add(new Case(caseId, new CustomerSnapshot(caseId, mapping.AsOf, fields), label, segment) { Group = groupValue, Labels = named });
        }
        return cases;
    }

    /// <summary>
    /// A text value as the live path would hold it, so a replay sees what production sees: intake keeps at most
    /// <see cref="CustomerState.MaxDocumentChars"/> characters of a document's text and cuts the rest (it refuses none).
    /// </summary>
    internal static string LikeIntake(string field, string value) =>
        field == "documents.text" && value.Length > CustomerState.MaxDocumentChars ? value[..CustomerState.MaxDocumentChars] : value;

    /// <summary>Invariant-culture decimal or exponent notation; no thousands separators, NaN or infinities.</summary>
    public static bool TryNumber(string s, out double value) =>
        double.TryParse(s, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out value)
        && double.IsFinite(value);

    private static string Truncate(string s) => s.Length <= 40 ? s : s[..40] + "…";
}
