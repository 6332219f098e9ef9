using AgentCrm.Sandbox.Cases;
using AgentCrm.Server;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AgentCrm.Sandbox;

/// <summary>An uploaded case file: the data part (CSV or NDJSON) and its mapping or labels, with the part names errors refer to.</summary>
internal sealed record CaseUpload(string Kind, string DataPart, byte[] Data, string DataName, string AuxPart, byte[] Aux, string AuxName)
{
    public Task<CaseSetAdded> AddAsync(CaseSetStore store, string name, string actor, CancellationToken cancellationToken) => Kind == CaseSetKinds.Tabular
        ? store.AddTabularAsync(name, Data, DataName, Aux, AuxName, cancellationToken, actor)
        : store.AddTimelineAsync(name, Data, DataName, Aux, AuxName, cancellationToken, actor);

    public Task<CaseSetInfo> AddUploadAsync(CaseSetStore store, Agents.AgentManifest agent, string actor, CancellationToken cancellationToken) =>
        store.AddUploadAsync(Kind, Data, DataName, Aux, AuxName, agent, cancellationToken, actor);

    /// <summary>400 naming the part at fault; the message names the file and line.</summary>
    public ProblemHttpResult Invalid(CaseSetException ex)
    {
        var part = ex.File == AuxName ? AuxPart : DataPart;
        return Problems.Validation(new Dictionary<string, string[]> { [part] = [ex.Message] }, detail: $"{part}: {ex.Message} Nothing was stored.");
    }
}

/// <summary>
/// Reads case files sent as multipart/form-data, for <c>POST /v1/cases/{name}</c> and for evaluating on an
/// uploaded file. The data part is <c>cases</c> (or <c>file</c>, a tabular CSV; or <c>events</c>, an NDJSON
/// timeline); beside it <c>mapping</c> (YAML) makes it tabular and <c>labels</c> (CSV) a timeline.
/// </summary>
internal static class CaseUploads
{
    /// <summary>Room in the body beside the files for the multipart framing: the files themselves are held to the case set limit.</summary>
    private const long FramingBytes = 1024 * 1024;

    private static readonly string[] DataParts = ["cases", "file", "events"];

    private static readonly string[] Parts = [.. DataParts, "mapping", "labels"];

    /// <summary>
    /// The upload, or a 4xx naming the part at fault. <paramref name="dataPart"/> is the name the errors use
    /// when no data part was sent; <paramref name="errors"/> holds what the caller already found (e.g. in the
    /// route), reported together with the parts'. Files together larger than <paramref name="maxBytes"/> (the case set limit,
    /// <see cref="CaseSetStore.MaxBytes"/>) → 413 before they are read into memory.
    /// </summary>
    public static async Task<(CaseUpload? Upload, ProblemHttpResult? Error)> ReadAsync(
        HttpRequest request, string dataPart, Dictionary<string, string[]> errors, long maxBytes, CancellationToken cancellationToken)
    {
        if (!RequestBody.IsMultipart(request))
        {
            // The request's media type is at fault, whatever else is: 415 naming Content-Type, as every endpoint answers one.
            return (null, Problems.UnsupportedType($"This endpoint reads multipart/form-data with {Forms(dataPart)}, not '{Problems.Clip(request.ContentType ?? "(none)", 60)}'."));
        }
        if (request.ContentLength > maxBytes + FramingBytes)
            return (null, TooLarge(request.ContentLength.Value, maxBytes));
        // A part may be as large as the whole limit (the default multipart section limit is 128 MB).
        request.HttpContext.Features.Set<IFormFeature>(new FormFeature(request, new FormOptions { MultipartBodyLengthLimit = maxBytes + FramingBytes }));
        var (form, error) = await RequestBody.ReadFormAsync(request, maxBytes + FramingBytes, cancellationToken);
        if (form is null)
            return (null, error);
        // A part this endpoint does not read (a misspelt name, or `caseSet` sent as a form field) is refused, not ignored.
        // Every part is a file: one sent as a text field (curl's -F "file=<x.csv") is told so, not that it is missing.
        RequestBody.RefuseBadParts(form, Parts, $"a case upload is {Forms(dataPart)}", errors, Documented(dataPart), fileParts: Parts);
        // A part sent as a text field was refused above; it counts as sent here, so it is not also called missing (a
        // mistake in what else was sent, one case file or `mapping` with `labels`, is still named).
        bool Sent(string part) => form.Files[part] is not null || form.ContainsKey(part);
        var sent = DataParts.Where(Sent).ToList();
        if (sent.Count > 1)
            errors[sent[1]] = [$"One case file per upload: `{sent[0]}` or `{sent[1]}`, not both."];
        var data = sent.FirstOrDefault();
        var mapping = Sent("mapping");
        var labels = Sent("labels");
        if (data is null)
            errors[dataPart] = [$"`{dataPart}` is required: the case file (a CSV with `mapping`, or NDJSON events with `labels`)."];
        string? aux = (data, mapping, labels) switch
        {
            (_, true, true) => null,
            ("file", _, _) => "mapping",
            ("events", _, _) => "labels",
            (_, _, true) => "labels",
            _ => "mapping",
        };
        if (aux is null)
            errors["labels"] = ["Send `mapping` (tabular CSV) or `labels` (NDJSON timeline), not both."];
        else if (!Sent(aux))
            errors[aux] = data == "cases" || data is null
                ? [$"`mapping` (the YAML mapping of a tabular CSV) or `labels` (the labels CSV of an NDJSON timeline) is required with `{data ?? dataPart}`."]
                : [$"`{aux}` is required with `{data}`."];
        if (errors.Count > 0)
            return (null, Problems.Validation(errors));

        var dataFile = form.Files[data!]!;
        var auxFile = form.Files[aux!]!;
        if (dataFile.Length + auxFile.Length > maxBytes)
            return (null, TooLarge(dataFile.Length + auxFile.Length, maxBytes));
        var (dataName, auxName) = (Named(dataFile, data!), Named(auxFile, aux!));
        if (dataName == auxName)
            (dataName, auxName) = (data!, aux!);
        return (new CaseUpload(aux == "mapping" ? CaseSetKinds.Tabular : CaseSetKinds.Timeline,
            data!, await ReadAllAsync(dataFile, cancellationToken), dataName, aux!, await ReadAllAsync(auxFile, cancellationToken), auxName), null);
    }

    /// <summary>
    /// The two forms a case upload takes, with the part names this endpoint documents: <c>file</c> + <c>mapping</c> or
    /// <c>events</c> + <c>labels</c> for a named set, <c>cases</c> with either for an evaluation's upload.
    /// </summary>
    internal static string Forms(string dataPart) =>
        $"`{dataPart}` + `mapping` (a tabular CSV and its YAML mapping) or `{(dataPart == "file" ? "events" : dataPart)}` + `labels` (an NDJSON timeline and its labels CSV)";

    /// <summary>The part names <see cref="Forms"/> gives for <paramref name="dataPart"/>: the only ones an unknown part is told it may have meant.</summary>
    internal static string[] Documented(string dataPart) =>
        dataPart == "file" ? ["file", "mapping", "events", "labels"] : [dataPart, "mapping", "labels"];

    private static ProblemHttpResult TooLarge(long bytes, long maxBytes)
    {
        var message = CaseSetStore.TooLarge(bytes, maxBytes);
        return Problems.TooLarge(char.ToUpperInvariant(message[0]) + message[1..]);
    }

    private static string Named(IFormFile file, string part) => string.IsNullOrWhiteSpace(file.FileName) ? part : Path.GetFileName(file.FileName);

    private static async Task<byte[]> ReadAllAsync(IFormFile file, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await file.CopyToAsync(buffer, cancellationToken);
        return buffer.ToArray();
    }
}
