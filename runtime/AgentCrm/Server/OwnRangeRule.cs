using System.Globalization;
using System.Numerics;
using Microsoft.Extensions.Options;

namespace AgentCrm.Server;

/// <summary>
/// A whole number past its type's range told by the setting's own rule, as its options validator words it
/// (<c>Webhooks:MaxSubscriptions must be between 1 and 1000 (got '99999999999').</c>), not by the type's range
/// (-2147483648 to 2147483647, a negative bound for a count): the validator is asked about the type's limit nearest the value.
/// </summary>
internal static class OwnRangeRule
{
    /// <summary>Each section's validator (<see cref="SettingsChecker.Sections"/>), as the server and the verbs register them.</summary>
    private static readonly IReadOnlyDictionary<Type, Func<IConfiguration, object, ValidateOptionsResult>> Validators = new Dictionary<Type, Func<IConfiguration, object, ValidateOptionsResult>>
    {
        [typeof(RuntimeOptions)] = Rule<RuntimeOptions>(_ => new RuntimeOptionsValidator()),
        [typeof(Storage.StorageOptions)] = Rule<Storage.StorageOptions>(_ => new Storage.StorageOptionsValidator()),
        [typeof(Actors.ActorOptions)] = Rule<Actors.ActorOptions>(_ => new Actors.ActorOptionsValidator()),
        [typeof(Dapr.DaprOptions)] = Rule<Dapr.DaprOptions>(_ => new Dapr.DaprOptionsValidator()),
        [typeof(Intake.IntakeOptions)] = Rule<Intake.IntakeOptions>(_ => new Intake.IntakeOptionsValidator()),
        [typeof(Sandbox.SandboxOptions)] = Rule<Sandbox.SandboxOptions>(_ => new Sandbox.SandboxOptionsValidator()),
        [typeof(Agents.AgentsOptions)] = Rule<Agents.AgentsOptions>(_ => new Agents.AgentsOptionsValidator()),
        [typeof(Agents.Plugins.PluginOptions)] = Rule<Agents.Plugins.PluginOptions>(_ => new Agents.Plugins.PluginOptionsValidator()),
        [typeof(Customers.ConsentOptions)] = Rule<Customers.ConsentOptions>(_ => new Customers.ConsentOptionsValidator()),
        [typeof(Briefs.ReviewOptions)] = Rule<Briefs.ReviewOptions>(_ => new Briefs.ReviewOptionsValidator()),
        [typeof(Access.AuthOptions)] = Rule<Access.AuthOptions>(_ => new Access.AuthOptionsValidator()),
        [typeof(Observability.TelemetryOptions)] = Rule<Observability.TelemetryOptions>(c => new Observability.TelemetryOptionsValidator(c)),
        [typeof(Webhooks.WebhookOptions)] = Rule<Webhooks.WebhookOptions>(_ => new Webhooks.WebhookOptionsValidator()),
        [typeof(Audit.AuditOptions)] = Rule<Audit.AuditOptions>(_ => new Audit.AuditOptionsValidator()),
        [typeof(Knowledge.Options.KnowledgeOptions)] = Rule<Knowledge.Options.KnowledgeOptions>(_ => new Knowledge.Options.KnowledgeOptionsValidator()),
        [typeof(Knowledge.Embeddings.HttpEmbeddingOptions)] = Rule<Knowledge.Embeddings.HttpEmbeddingOptions>(_ => new Knowledge.Embeddings.HttpEmbeddingOptionsValidator()),
        [typeof(Knowledge.Stores.Qdrant.QdrantOptions)] = Rule<Knowledge.Stores.Qdrant.QdrantOptions>(_ => new Knowledge.Stores.Qdrant.QdrantOptionsValidator()),
        [typeof(Knowledge.Chat.ChatModelOptions)] = Rule<Knowledge.Chat.ChatModelOptions>(_ => new Knowledge.Chat.ChatModelOptionsValidator()),
    };

    private static Func<IConfiguration, object, ValidateOptionsResult> Rule<T>(Func<IConfiguration, IValidateOptions<T>> validator) where T : class =>
        (configuration, options) => validator(configuration).Validate(Options.DefaultName, (T)options);

    /// <summary>
    /// The line refusing <paramref name="path"/> by its own rule, were it set to <paramref name="bound"/> (its type's limit nearest
    /// the value given), with the value as configured; null when its rule takes that limit (no own bound on that side) or
    /// the section cannot be read so (another of its values is bad too: that one is told).
    /// </summary>
    public static string? Refusal(IConfiguration configuration, string path, BigInteger bound)
    {
        var (section, type) = SettingsChecker.Sections.Where(s => path.StartsWith(s.Path + ":", StringComparison.OrdinalIgnoreCase)).MaxBy(s => s.Path.Length);
        if (section is null || !Validators.TryGetValue(type, out var validate))
            return null;
        try
        {
            var atBound = new ConfigurationBuilder().AddConfiguration(configuration)
                .AddInMemoryCollection([new(path, bound.ToString(CultureInfo.InvariantCulture))]).Build();
            var options = atBound.GetSection(section).Get(type) ?? Activator.CreateInstance(type)!;
            return validate(atBound, options).Failures?.FirstOrDefault(f => f.StartsWith(path + " must ", StringComparison.OrdinalIgnoreCase)) is { } failure
                ? SettingsChecker.WithRefusedValue(failure, configuration)
                : null;
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException or OverflowException or ArgumentException)
        {
            return null;
        }
    }
}
