using System.Text;

namespace AgentCrm.Sandbox.Cases;

/// <summary>One CSV record and the physical line it starts on (1-based; the header is line 1).</summary>
internal sealed record CsvRow(int Line, string[] Values);

internal sealed record CsvTable(string[] Header, IReadOnlyList<CsvRow> Rows)
{
    public int IndexOf(string column) => Array.IndexOf(Header, column);
}

/// <summary>
/// A strict RFC 4180 reader: comma separated, a header line, fields optionally in double quotes with
/// doubled quotes inside and commas or line breaks allowed there; LF or CRLF line ends. Anything
/// else (a stray quote, text after a closing quote, a ragged row, an unclosed quote) is an error
/// naming the line, because a silently mis-split row would become a wrong case.
/// </summary>
internal static class CsvReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static string Decode(byte[] bytes, string file)
    {
        // A compressed file is not text at all: say what it is rather than where its first invalid byte falls.
        if (bytes is [0x1F, 0x8B, ..])
            throw new CaseSetException(file, null, null, "the file is gzip-compressed, not text; decompress it first (gunzip) and send the plain file.");
        if (bytes is [(byte)'P', (byte)'K', 3, 4, ..])
            throw new CaseSetException(file, null, null, "the file is a zip archive, not text; extract the file from it and send that.");
        try
        {
            var text = StrictUtf8.GetString(bytes);
            return text.Length > 0 && text[0] == '\uFEFF' ? text[1..] : text;
        }
        catch (DecoderFallbackException ex)
        {
            var line = 1 + bytes.AsSpan(0, Math.Max(0, Math.Min(bytes.Length, ex.Index))).Count((byte)'\n');
            throw new CaseSetException(file, line, null, "the file is not valid UTF-8 text.");
        }
    }

    public static CsvTable Read(string text, string file)
    {
        if (text.AsSpan().Trim().IsEmpty)
            throw new CaseSetException(file, null, null, "the file is empty; a CSV needs a header line and at least one row.");

        var records = Parse(text, file);
        var header = records[0].Values;
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < header.Length; i++)
        {
            if (header[i].Length == 0)
                throw new CaseSetException(file, 1, null, $"header column {i + 1} has no name.");
            if (!seen.TryAdd(header[i], i))
                throw new CaseSetException(file, 1, header[i], "the header names this column twice.");
        }
        var rows = records.Skip(1).ToList();
        if (rows.Count == 0)
            throw new CaseSetException(file, null, null, "the file has a header but no rows.");
        foreach (var row in rows)
            if (row.Values.Length != header.Length)
                throw new CaseSetException(file, row.Line, null, $"the row has {row.Values.Length} field{(row.Values.Length == 1 ? "" : "s")}, the header has {header.Length}.");
        return new CsvTable(header, rows);
    }

    private static List<CsvRow> Parse(string text, string file)
    {
        var records = new List<CsvRow>();
        var fields = new List<string>();
        var field = new StringBuilder();
        var line = 1;
        var recordLine = 1;
        var i = 0;
        while (i < text.Length)
        {
            // At the start of a field.
            if (text[i] == '"')
            {
                var openedOn = line;
                i++;
                while (true)
                {
                    if (i >= text.Length)
                        throw new CaseSetException(file, openedOn, null, "a quoted field is never closed.");
                    var c = text[i];
                    if (c == '"')
                    {
                        if (i + 1 < text.Length && text[i + 1] == '"')
                        {
                            field.Append('"');
                            i += 2;
                            continue;
                        }
                        i++;
                        break;
                    }
                    if (c == '\n')
                        line++;
                    field.Append(c);
                    i++;
                }
                if (i < text.Length && text[i] is not (',' or '\n' or '\r'))
                    throw new CaseSetException(file, line, null, $"unexpected '{text[i]}' after a closing quote (a quote inside a field must be doubled).");
            }
            else
            {
                while (i < text.Length && text[i] is not (',' or '\n' or '\r'))
                {
                    if (text[i] == '"')
                        throw new CaseSetException(file, line, null, "a quote inside an unquoted field (quote the whole field and double the quote).");
                    field.Append(text[i]);
                    i++;
                }
            }

            fields.Add(field.ToString());
            field.Clear();
            if (i >= text.Length)
                break;
            if (text[i] == ',')
            {
                i++;
                if (i >= text.Length)
                    fields.Add("");
                continue;
            }
            // A line break ends the record.
            if (text[i] == '\r')
            {
                if (i + 1 >= text.Length || text[i + 1] != '\n')
                    throw new CaseSetException(file, line, null, "a carriage return that is not part of a CRLF line break.");
                i++;
            }
            i++;
            records.Add(new CsvRow(recordLine, [.. fields]));
            fields.Clear();
            line++;
            recordLine = line;
            if (IsBlankToEnd(text, i))
                return records;
        }
        if (fields.Count > 0)
            records.Add(new CsvRow(recordLine, [.. fields]));
        return records;
    }

    /// <summary>Trailing line breaks after the last record are not an empty row.</summary>
    private static bool IsBlankToEnd(string text, int from)
    {
        for (var j = from; j < text.Length; j++)
            if (text[j] is not ('\n' or '\r'))
                return false;
        return true;
    }
}
