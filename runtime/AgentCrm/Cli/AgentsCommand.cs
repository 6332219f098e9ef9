using System.CommandLine;
using System.Text.Json;
using AgentCrm.Agents;
using AgentCrm.Sandbox;

namespace AgentCrm.Cli;

/// <summary>`agentcrm agents …`: the registry on the data directory, same rules as the HTTP API.</summary>
internal static class AgentsCommand
{
    private static readonly JsonSerializerOptions Output = new(ManifestReader.Json) { WriteIndented = true, Encoder = AgentCrmCli.JsonOutput.Encoder, UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Skip };

    public static Command Create()
    {
        var agents = new Command("agents", "Agent registry and lifecycle.");

        var list = new Command("list", "List agents, their versions and states.");
        list.SetAction((p, ct) => WithRegistry(p, ct, (r, _) =>
        {
            var rows = r.List().Select(AgentsApi.Summary).ToList();
            if (p.GetValue(AgentCrmCli.Json))
                Console.WriteLine(JsonSerializer.Serialize(new { items = rows }, Output));
            else
                Console.Write(Columns.Render(rows.Select(v => new[] { $"{v.Id}@{v.Version}", StateWithShare(v, rows), v.Kind, v.ContentHash[..19] })));
            return Task.FromResult(0);
        }));

        var manifestArg = new Argument<FileInfo>("MANIFEST") { Description = "A JSON or YAML manifest file." };
        var register = new Command("register", "Register an agent version.") { manifestArg };
        register.SetAction((p, ct) => CliHost.RunAsync(p, ct, async (services, token) =>
        {
            var r = services.GetRequiredService<AgentRegistry>();
            var file = p.GetValue(manifestArg)!;
            // The file as given names every problem with its content ("watch.yaml: subscribes[0] (line 5): …").
            var shown = p.GetResult(manifestArg)!.Tokens[0].Value;
            if (Directory.Exists(file.FullName))
                return AgentCrmCli.Fail($"{shown}: is a folder, not a manifest file");
            if (!file.Exists)
                return AgentCrmCli.Fail($"no such file: {file.FullName}");
            // The limit POST /v1/agents holds a manifest to, read no further than that: a file of hundreds of MB is not parsed into memory.
            var limit = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<AgentsOptions>>().Value.MaxManifestBytes;
            if (await ReadAtMostAsync(file, limit, token) is not { } text)
                return AgentCrmCli.Fail($"{shown}: a manifest is at most {limit.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)} bytes (the setting Agents:MaxManifestBytes); this file is larger");
            // By the extension, as a client labels a body: .json is JSON only, .yaml/.yml YAML, another read by its content.
            var contentType = file.Extension.ToLowerInvariant() switch
            {
                ".yaml" or ".yml" => "application/yaml",
                ".json" => "application/json",
                _ => null,
            };
            // Told as a file: the reader's "The body is empty; send … (Content-Type: …)" is for HTTP clients, and this one set no header.
            if (string.IsNullOrWhiteSpace(text))
                return AgentCrmCli.Fail($"{shown}: the file is empty; write the manifest " + contentType switch
                {
                    "application/json" => "as a JSON object.",
                    "application/yaml" => "in YAML.",
                    _ => "as a JSON object or in YAML.",
                });
            ManifestSource source;
            try
            {
                source = ManifestReader.Parse(text, contentType);
            }
            catch (ManifestException ex)
            {
                return AgentCrmCli.Fail(InFile(shown, ex.Errors));
            }
            var manifest = source.Manifest;
            RegisterResult result;
            try
            {
                result = await r.RegisterAsync(manifest, CliHost.Actor, token);
            }
            catch (ManifestException ex)
            {
                return AgentCrmCli.Fail(InFile(shown, source.Lines.Annotate(ex.Errors)));
            }
            Print(p, AgentsApi.Summary(result.Record), $"{manifest.Id}@{manifest.Version} {(result.Created ? "registered" : "already registered")} ({result.Record.ContentHash})");
            return 0;
        }));

        var idArg = new Argument<string>("ID") { Description = "Agent id." };
        // An id no agent can have (unregister, rollback) is a usage error before the data directory is opened.
        ValueRules.Add(idArg, ValueRules.AgentId);
        var unregister = new Command("unregister", "Retire every version of an agent.") { idArg };
        unregister.SetAction((p, ct) => WithRegistry(p, ct, async (r, token) =>
        {
            var id = p.GetValue(idArg)!;
            // Every change an unregister makes (a version retired, the agent's own end) is a transition: none written, nothing changed.
            var (before, seq) = (r.Versions(id).Where(v => v.State != AgentState.Retired).Select(v => v.Version).ToHashSet(StringComparer.Ordinal), r.TransitionsSeq());
            var versions = await r.UnregisterAsync(id, CliHost.Actor, token);
            var retired = versions.Count(v => before.Contains(v.Version) && v.State == AgentState.Retired);
            // Exit 0 either way, as `webhooks enable` of an active subscription: the agent is unregistered, as asked.
            Print(p, versions.Select(AgentsApi.Summary).ToList(), r.TransitionsSeq() == seq ? $"{id} is already unregistered (nothing changed)"
                : $"{id} unregistered ({Counted.Of(retired, "version")} retired)");
            return 0;
        }));

        var versionArg = new Argument<string>("ID@VERSION") { Description = "Agent version, e.g. renewal-risk@1.0.1." };
        // A usage error (exit 2, one line) for promote, shadow and evaluate alike, before the data directory is opened.
        versionArg.Validators.Add(r =>
        {
            if (r.Tokens.Count > 0 && VersionProblem(r.Tokens[0].Value) is { } problem)
                r.AddError(problem);
        });
        var canary = new Option<int>("--canary") { Description = "Share of customers (1-100) the version serves beside the current one.", DefaultValueFactory = _ => 100 };
        // A parse error: exit 2 with one line before anything is opened, by the rule the API and the registry apply.
        canary.Validators.Add(r =>
        {
            // A token that is not a number is the parser's own error; the default (no token) is 100.
            if (r.Tokens.Count > 0 && int.TryParse(r.Tokens[^1].Value, System.Globalization.CultureInfo.InvariantCulture, out var share)
                && AgentRegistry.CanaryPercentError(share, "--canary") is { } invalid)
                r.AddError(invalid);
        });
        var promote = new Command("promote", "Activate an agent version (needs a passing sandbox report for its content hash).") { versionArg, canary };
        promote.SetAction((p, ct) => CliHost.RunAsync(p, ct, async (services, token) =>
        {
            var (id, version) = Split(p.GetValue(versionArg)!);
            var record = await services.GetRequiredService<Lifecycle>().PromoteAsync(id, version, p.GetValue(canary), CliHost.Actor, token);
            Print(p, AgentsApi.Summary(record), record.CanaryPercent < 100 ? $"{id}@{version} serves {record.CanaryPercent}% of customers" : $"{id}@{version} is active");
            return 0;
        }));

        var shadow = new Command("shadow", "Run a version live without delivering its briefs.") { versionArg };
        shadow.SetAction((p, ct) => CliHost.RunAsync(p, ct, async (services, token) =>
        {
            var (id, version) = Split(p.GetValue(versionArg)!);
            var record = await services.GetRequiredService<Lifecycle>().ShadowAsync(id, version, CliHost.Actor, token);
            Print(p, AgentsApi.Summary(record), $"{id}@{version} runs in shadow");
            return 0;
        }));

        var rollback = new Command("rollback", "Re-activate the previously active version.") { idArg };
        rollback.SetAction((p, ct) => CliHost.RunAsync(p, ct, async (services, token) =>
        {
            var record = await services.GetRequiredService<Lifecycle>().RollbackAsync(p.GetValue(idArg)!, CliHost.Actor, token);
            Print(p, AgentsApi.Summary(record), $"{record.AgentId}@{record.Version} is active again");
            return 0;
        }));

        agents.Subcommands.Add(list);
        agents.Subcommands.Add(register);
        agents.Subcommands.Add(unregister);
        agents.Subcommands.Add(promote);
        agents.Subcommands.Add(shadow);
        agents.Subcommands.Add(rollback);
        agents.Subcommands.Add(EvaluateCommand.Create(versionArg));
        agents.Subcommands.Add(FitCommand.Create());
        return agents;
    }

    /// <summary>The text of <paramref name="file"/> (UTF-8 unless a byte order mark says otherwise, as File.ReadAllText reads it), or null when it holds more than <paramref name="limit"/> bytes.</summary>
    private static async Task<string?> ReadAtMostAsync(FileInfo file, long limit, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.Asynchronous);
        var bytes = new MemoryStream();
        var chunk = new byte[81_920];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (bytes.Length + read > limit)
                return null;
            bytes.Write(chunk, 0, read);
        }
        bytes.Position = 0;
        using var reader = new StreamReader(bytes, System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return await reader.ReadToEndAsync(cancellationToken);
    }

    /// <summary>The state, and during a canary each active version's share of customers (the canary's, and the rest for the version beside it).</summary>
    internal static string StateWithShare(AgentVersionDto version, IReadOnlyList<AgentVersionDto> all)
    {
        if (version.State != "active")
            return version.State;
        if (version.CanaryPercent < 100)
            return $"active (canary, {version.CanaryPercent}% of customers)";
        var canary = all.FirstOrDefault(v => v.Id == version.Id && v.State == "active" && v.CanaryPercent < 100);
        return canary is null ? "active" : $"active ({100 - canary.CanaryPercent}% of customers)";
    }

    /// <summary>A manifest's problems, after the file's name; the whole document's ("$") without a path.</summary>
    private static string InFile(string file, IReadOnlyDictionary<string, string[]> errors) =>
        $"{file}: " + string.Join("; ", errors.Select(e => (e.Key == "$" ? "" : e.Key + ": ") + string.Join(", ", e.Value.Select(m => m.TrimEnd('.'))))) + ".";

    /// <summary>Why <paramref name="value"/> is not an ID@VERSION, or null.</summary>
    private static string? VersionProblem(string value)
    {
        var at = value.IndexOf('@', StringComparison.Ordinal);
        if (at <= 0 || at == value.Length - 1)
            return $"ID@VERSION: '{value}' is not of the form ID@VERSION (e.g. renewal-risk@1.0.1).";
        if (!ManifestReader.IsValidId(value[..at]))
            return $"ID@VERSION: '{value}' is not valid; before the @, {ManifestReader.IdRule}.";
        // A version no manifest can have names no version to find: said as such, not as "has no version".
        return ManifestReader.IsValidVersion(value[(at + 1)..]) ? null : $"ID@VERSION: '{value}' is not valid; the version after @ looks like 1.2.3 or 1.2.3-suffix.";
    }

    /// <summary>ID@VERSION, split; the argument's validator has refused any other form at parse time.</summary>
    internal static (string Id, string Version) Split(string value)
    {
        if (VersionProblem(value) is { } problem)
            throw new InvalidOperationException(problem);
        var at = value.IndexOf('@', StringComparison.Ordinal);
        return (value[..at], value[(at + 1)..]);
    }

    private static void Print(ParseResult p, object json, string human) =>
        Console.WriteLine(p.GetValue(AgentCrmCli.Json) ? JsonSerializer.Serialize(json, Output) : human);

    private static Task<int> WithRegistry(ParseResult p, CancellationToken ct, Func<AgentRegistry, CancellationToken, Task<int>> action) =>
        CliHost.RunAsync(p, ct, (services, token) => action(services.GetRequiredService<AgentRegistry>(), token));
}

/// <summary>
/// Plain-text columns for the CLI's lists, each as wide as its longest value (a long agent id or key name does not shift
/// the rest); no escape codes, so a pipe gets the same text. The last column is not padded.
/// </summary>
internal static class Columns
{
    /// <summary>The rows, one line each; the columns in <paramref name="rightAligned"/> (numbers) are aligned right.</summary>
    public static string Render(IEnumerable<string[]> rows, params int[] rightAligned)
    {
        var all = rows.ToList();
        if (all.Count == 0)
            return "";
        var widths = new int[all.Max(r => r.Length)];
        foreach (var row in all)
            for (var i = 0; i < row.Length; i++)
                widths[i] = Math.Max(widths[i], row[i].Length);
        var text = new System.Text.StringBuilder();
        foreach (var row in all)
        {
            var cells = row.Select((cell, i) => i == row.Length - 1 && !rightAligned.Contains(i) ? cell
                : rightAligned.Contains(i) ? cell.PadLeft(widths[i]) : cell.PadRight(widths[i]));
            text.Append(string.Join("  ", cells).TrimEnd()).Append('\n');
        }
        return text.ToString();
    }
}
