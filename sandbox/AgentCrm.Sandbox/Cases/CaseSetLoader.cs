namespace AgentCrm.Sandbox.Cases;

/// <summary>
/// Loads case sets whole or not at all: any problem throws <see cref="CaseSetException"/> with a
/// one-line message naming the file and line, and no partial set is ever returned. The stream
/// overloads serve uploads; <c>fileName</c>s only label error messages.
/// </summary>
public static class CaseSetLoader
{
    /// <summary>A CSV plus a YAML mapping; the set is named by the mapping's <c>name</c> unless <paramref name="name"/> is given.</summary>
    public static CaseSet LoadTabular(string csvPath, string mappingPath, string? name = null)
    {
        using var csv = Open(csvPath);
        using var mapping = Open(mappingPath);
        return LoadTabular(csv, Path.GetFileName(csvPath), mapping, Path.GetFileName(mappingPath), name);
    }

    /// <summary>
    /// As above, from streams. <paramref name="stored"/>: the files of a set stored before (by this build or an earlier
    /// one), read as when they were stored: checks added to mappings since apply to new sets only.
    /// </summary>
    public static CaseSet LoadTabular(Stream csv, string csvFileName, Stream mapping, string mappingFileName, string? name = null, bool stored = false)
    {
        var csvBytes = ReadAll(csv);
        var mappingBytes = ReadAll(mapping);
        var spec = CaseMappingReader.Read(CsvReader.Decode(mappingBytes, mappingFileName), mappingFileName, stored);
        var table = CsvReader.Read(CsvReader.Decode(csvBytes, csvFileName), csvFileName);
        var cases = TabularCaseReader.Read(table, csvFileName, spec, mappingFileName);
        return new CaseSet(CheckName(name ?? spec.Name), CaseSetHash.Of(csvBytes, mappingBytes), cases, CaseSetKinds.Tabular) { Scenario = spec.Scenario };
    }

    /// <summary>NDJSON events (the API's event format) plus a labels CSV <c>customerId,cutoff,label[,segment]</c>.</summary>
    public static CaseSet LoadTimeline(string ndjsonPath, string labelsPath, string name)
    {
        using var events = Open(ndjsonPath);
        using var labels = Open(labelsPath);
        return LoadTimeline(events, Path.GetFileName(ndjsonPath), labels, Path.GetFileName(labelsPath), name);
    }

    public static CaseSet LoadTimeline(Stream ndjson, string ndjsonFileName, Stream labels, string labelsFileName, string name)
    {
        CheckName(name);
        var eventBytes = ReadAll(ndjson);
        var labelBytes = ReadAll(labels);
        var table = CsvReader.Read(CsvReader.Decode(labelBytes, labelsFileName), labelsFileName);
        var cases = TimelineCaseReader.Read(CsvReader.Decode(eventBytes, ndjsonFileName), ndjsonFileName, table, labelsFileName);
        return new CaseSet(name, CaseSetHash.Of(eventBytes, labelBytes), cases, CaseSetKinds.Timeline);
    }

    private static string CheckName(string name) =>
        name.Length is >= 1 and <= 64 && char.IsAsciiLetterOrDigit(name[0]) && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '.' or '_' or ':')
            ? name
            : throw new CaseSetException("case set name", null, null, $"'{name}' must be 1-64 lower-case letters, digits and . _ : -");

    private static FileStream Open(string path)
    {
        try
        {
            return File.OpenRead(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CaseSetException(Path.GetFileName(path), null, null, $"cannot be read: {ex.Message}");
        }
    }

    private static byte[] ReadAll(Stream stream)
    {
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }
}
