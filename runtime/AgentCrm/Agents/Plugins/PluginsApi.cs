using AgentCrm.Access;
using System.Text.Json;
using AgentCrm.Server;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace AgentCrm.Agents.Plugins;

/// <summary><c>POST /v1/agents/plugins</c>: register an agent version from an uploaded assembly.</summary>
public static class PluginsApi
{
    private const long ManifestAllowance = 1024 * 1024;

    public static RouteGroupBuilder MapPluginsApi(this RouteGroupBuilder agents)
    {
        // Ops only (API.md): this endpoint loads code that runs with the server's trust.
        agents.MapPost("/plugins", Upload).WithName("UploadAgentPlugin").RequireRoles(Roles.Ops)
            .WithSummary("Register an agent version from a plugin assembly (multipart: assembly, manifest).")
            .DescribesBody<PluginUploadForm>("multipart/form-data")
            .ProducesValidationProblem().ProducesValidationProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status409Conflict).Produces<SettingProblem>(StatusCodes.Status403Forbidden, OpenApiDescriptions.ProblemJson)
            .AlsoAnswers(StatusCodes.Status403Forbidden, "Or uploads are switched off on this server (Plugins:AllowUpload is false): setting names it.")
            .DisableAntiforgery();
        return agents;
    }

    /// <summary>
    /// Every attempt whose assembly was read is audited (<see cref="PluginUploadAudit"/>), the refused ones too: by then the
    /// plugin's code may have run. With Plugins:AllowUpload false, none is taken (403 naming the setting, audited as well).
    /// A request refused before an assembly was read (not multipart, too large, no <c>assembly</c>) carried no code to run,
    /// and changes nothing, as bad input to any write.
    /// </summary>
    public static async Task<Results<Created<AgentVersionDto>, Ok<AgentVersionDto>, ProblemHttpResult>> Upload(
        HttpRequest request, HttpContext context, AgentRegistry registry, PluginKind kind, PluginStore store, PluginUploadAudit audit,
        IOptions<PluginOptions> options, CancellationToken cancellationToken)
    {
        var actor = Caller.From(context.User).AuditActor;
        var attempt = new PluginUploadAttempt();
        Results<Created<AgentVersionDto>, Ok<AgentVersionDto>, ProblemHttpResult> answer;
        try
        {
            answer = options.Value.AllowUpload
                ? await ReceiveAsync(request, attempt, actor, registry, kind, store, options.Value.MaxAssemblyBytes, cancellationToken)
                : Problems.Forbidden(
                    "Plugin uploads are switched off on this server (Plugins:AllowUpload is false): an upload runs the assembly's code in the server process. Versions of plugins uploaded before still register by manifest.",
                    new Dictionary<string, object?> { ["setting"] = $"{PluginOptions.Section}:{nameof(PluginOptions.AllowUpload)}" });
        }
        catch (Exception ex) when (attempt.Hash is not null)
        {
            await audit.RecordAsync(actor, attempt, StatusCodes.Status500InternalServerError, "failed",
                ex is OperationCanceledException ? "The request was aborted." : $"The upload failed: {ex.GetType().Name}.");
            throw;
        }
        if (attempt.Hash is null && options.Value.AllowUpload)
            return answer;
        var status = (answer.Result as IStatusCodeHttpResult)?.StatusCode ?? StatusCodes.Status200OK;
        var outcome = answer.Result switch
        {
            Created<AgentVersionDto> => "registered",
            Ok<AgentVersionDto> => "unchanged",
            _ => "refused",
        };
        await audit.RecordAsync(actor, attempt, status, outcome, PluginUploadAudit.Reason(answer.Result));
        return answer;
    }

    private static async Task<Results<Created<AgentVersionDto>, Ok<AgentVersionDto>, ProblemHttpResult>> ReceiveAsync(
        HttpRequest request, PluginUploadAttempt attempt, string actor, AgentRegistry registry, PluginKind kind, PluginStore store, long max, CancellationToken cancellationToken)
    {
        if (!RequestBody.IsMultipart(request))
            return Problems.UnsupportedType($"This endpoint reads multipart/form-data with `assembly` (the .dll) and `manifest` (JSON or YAML, kind: plugin), not '{Problems.Clip(request.ContentType ?? "(none)", 60)}'.");
        if (request.ContentLength > max + ManifestAllowance)
            return Problems.TooLarge($"A plugin upload is at most {max} bytes of assembly plus its manifest.");
        // The guarded read: a chunked body past the limit is 413, a broken multipart (no boundary, no end, too many fields) 400.
        var (form, formError) = await RequestBody.ReadFormAsync(request, max + ManifestAllowance, cancellationToken);
        if (form is null)
            return formError!;
        var file = form.Files["assembly"];
        var manifestFile = form.Files["manifest"];
        if (manifestFile?.Length > ManifestAllowance)
            return Problems.TooLarge($"A manifest is at most {ManifestAllowance} bytes.");
        var manifestText = manifestFile is not null ? await ReadTextAsync(manifestFile, cancellationToken) : form["manifest"].ToString();
        // The same allowance for a manifest sent as a form field as for one sent as a file.
        if (manifestFile is null && System.Text.Encoding.UTF8.GetByteCount(manifestText) > ManifestAllowance)
            return Problems.TooLarge($"A manifest is at most {ManifestAllowance} bytes.");
        var errors = new Dictionary<string, string[]>();
        RequestBody.RefuseBadParts(form, ["assembly", "manifest"], "a plugin upload is `assembly` (the .dll) and `manifest` (JSON or YAML, kind: plugin)", errors);
        if (file is null || file.Length == 0)
            errors["assembly"] = ["`assembly` is required: the plugin .dll, compiled against AgentCrm.Agents.Contract."];
        if (string.IsNullOrWhiteSpace(manifestText))
            errors["manifest"] = ["`manifest` is required (a file or a field): the version's manifest with kind: plugin."];
        if (errors.Count > 0)
            return Problems.Validation(errors);
        if (file!.Length > max)
            return Problems.TooLarge($"The assembly is {file.Length} bytes; Plugins:MaxAssemblyBytes is {max}.");

        var bytes = new byte[file.Length];
        await using (var stream = file.OpenReadStream())
            await stream.ReadExactlyAsync(bytes, cancellationToken);
        var hash = PluginKind.HashOf(bytes);
        attempt.Hash = hash;
        attempt.FileName = Path.GetFileName(file.FileName);
        attempt.Size = bytes.Length;
        var lines = ManifestLines.None;
        try
        {
            var yaml = manifestFile?.FileName is { } name && (name.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".yml", StringComparison.OrdinalIgnoreCase));
            var source = ManifestReader.Parse(manifestText, yaml ? "application/yaml" : manifestFile?.ContentType);
            lines = source.Lines;
            attempt.Agent = $"{source.Manifest.Id}@{source.Manifest.Version}";
            var manifest = WithAssembly(source.Manifest, hash);
            // Loaded and instantiated before anything is stored: a bad assembly is refused with its reason.
            kind.Create(manifest, bytes);
            await store.SaveAsync(hash, bytes, Path.GetFileName(file.FileName), cancellationToken);
            var result = await registry.RegisterAsync(manifest, actor, cancellationToken);
            var dto = AgentsApi.Summary(result.Record);
            return result.Created ? TypedResults.Created($"/v1/agents/{dto.Id}", dto) : TypedResults.Ok(dto);
        }
        catch (ManifestException ex)
        {
            await registry.ReleaseUnusedAsync();
            return Problems.Validation(lines.Annotate(ex.Errors), detail: "The plugin was refused; nothing was registered.");
        }
        catch (AgentConflictException ex)
        {
            await registry.ReleaseUnusedAsync();
            // Named as POST /v1/agents names it: errors.version for a version stored with other content.
            return ex.Field is { } field ? Problems.Conflict(field, ex.Message) : Problems.Conflict(ex.Message);
        }
    }

    /// <summary>The manifest bound to the uploaded bytes: <c>parameters.assembly</c> is their hash, so the version's content hash covers them.</summary>
    private static AgentManifest WithAssembly(AgentManifest manifest, string hash)
    {
        if (manifest.Kind != PluginKind.KindName)
            throw new ManifestException("kind", $"A plugin's manifest has kind: {PluginKind.KindName} (got '{manifest.Kind}').");
        if (manifest.Parameters.TryGetValue("assembly", out var given) && (given.ValueKind != JsonValueKind.String || given.GetString() != hash))
            throw new ManifestException("parameters.assembly", $"parameters.assembly does not match the uploaded assembly ({hash}); leave it out and the server sets it.");
        var parameters = new Dictionary<string, JsonElement>(manifest.Parameters, StringComparer.Ordinal) { ["assembly"] = JsonSerializer.SerializeToElement(hash) };
        return ManifestReader.Validate(manifest with { Parameters = parameters });
    }


    private static async Task<string> ReadTextAsync(IFormFile file, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(file.OpenReadStream());
        return await reader.ReadToEndAsync(cancellationToken);
    }
}
