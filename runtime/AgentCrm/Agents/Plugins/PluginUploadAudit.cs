using AgentCrm.Audit;
using AgentCrm.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AgentCrm.Agents.Plugins;

/// <summary>What one upload got to: the assembly's hash once its bytes were read, and the version its manifest names.</summary>
public sealed class PluginUploadAttempt
{
    public string? Hash { get; set; }

    public string? FileName { get; set; }

    public long? Size { get; set; }

    public string? Agent { get; set; }
}

/// <summary>
/// One audit record per plugin upload, <c>plugin.uploaded</c> on <c>plugin:sha256:…</c> (or <c>plugin:unread</c> when the
/// assembly was never read), whatever its outcome. Validating a plugin runs its code (its kinds' constructors and
/// <c>Create</c>), so a refused upload has run code in the server too: the record says who sent what, and why it was refused.
/// </summary>
public sealed class PluginUploadAudit(SqliteWriter writer, AuditLog audit, TimeProvider time)
{
    public const string Action = "plugin.uploaded";

    public Task RecordAsync(string actor, PluginUploadAttempt attempt, int status, string outcome, string? reason)
    {
        var data = new Dictionary<string, object?>
        {
            ["outcome"] = outcome,
            ["status"] = status,
            ["fileName"] = attempt.FileName,
            ["size"] = attempt.Size,
            ["agent"] = attempt.Agent,
        };
        if (reason is not null)
            data["reason"] = reason;
        // Not the request's token: an upload whose client went away has still run its code, and is recorded.
        return writer.WriteAsync(ctx => audit.Append(ctx, actor, Action, $"plugin:{attempt.Hash ?? "unread"}", data, time.GetUtcNow()));
    }

    /// <summary>The refusal's reason as the caller was told it: its detail and the errors it names by field.</summary>
    public static string? Reason(IResult result)
    {
        if (result is not ProblemHttpResult problem)
            return null;
        var parts = new List<string>();
        if (problem.ProblemDetails.Detail is { Length: > 0 } detail)
            parts.Add(detail);
        if (problem.ProblemDetails is HttpValidationProblemDetails validation)
            parts.AddRange(validation.Errors.SelectMany(e => e.Value.Select(v => $"{e.Key}: {v}")));
        return parts.Count > 0 ? string.Join(" ", parts.Distinct(StringComparer.Ordinal)) : problem.ProblemDetails.Title;
    }
}
