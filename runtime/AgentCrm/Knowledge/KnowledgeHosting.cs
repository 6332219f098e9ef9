using AgentCrm.Knowledge.Chat;
using AgentCrm.Knowledge.Embeddings;
using AgentCrm.Knowledge.Options;
using AgentCrm.Knowledge.Stores.Qdrant;
using AgentCrm.Storage;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;

namespace AgentCrm.Knowledge;

/// <summary>Knowledge registrations shared by the server and the CLI.</summary>
public static class KnowledgeHosting
{
    /// <summary>Where the knowledge files are kept: Knowledge:DataDirectory, or the data directory while that is left at its default.</summary>
    public static string DataDirectoryOf(KnowledgeOptions knowledge, StorageOptions storage) =>
        knowledge.DataDirectory == KnowledgeOptions.DefaultDataDirectory ? storage.DataDirectory : knowledge.DataDirectory;

    public static void AddKnowledgeCommon(IServiceCollection services, IConfiguration configuration)
    {
        // The knowledge files live in the same data directory as everything else unless set apart.
        services.AddOptions<KnowledgeOptions>().PostConfigure<IOptions<StorageOptions>>((k, storage) => k.DataDirectory = DataDirectoryOf(k, storage.Value));
        services.AddOptions<ChatModelOptions>().BindConfiguration(ChatModelOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ChatModelOptions>, ChatModelOptionsValidator>();
        var chat = configuration.GetSection(ChatModelOptions.Section).Get<ChatModelOptions>();
        if (chat?.Enabled == true)
        {
            services.AddSingleton<IChatClient>(sp => new OpenAiCompatibleChatClient(new HttpClient(), sp.GetRequiredService<IOptions<ChatModelOptions>>().Value, sp.GetRequiredService<TimeProvider>()));
            services.AddSingleton<GroundedBriefWriter>();
        }
        services.AddOptions<HttpEmbeddingOptions>().BindConfiguration(HttpEmbeddingOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<HttpEmbeddingOptions>, HttpEmbeddingOptionsValidator>();
        if (configuration.GetSection(HttpEmbeddingOptions.Section).Get<HttpEmbeddingOptions>()?.Enabled == true)
            // Registered before AddKnowledge, whose TryAdd then keeps it instead of the local embedder.
            services.AddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(sp => new HttpEmbeddingGenerator(
                new HttpClient(), sp.GetRequiredService<IOptions<HttpEmbeddingOptions>>().Value, sp.GetRequiredService<IOptions<KnowledgeOptions>>().Value.Dimension));
        // The CLI's verbs too: they ingest and search the store the server uses (and each opens it, for the bundled documents).
        if (configuration.GetSection(KnowledgeOptions.SectionName).Get<KnowledgeOptions>()?.Provider == KnowledgeProvider.Qdrant)
            services.AddQdrantKnowledgeStore();
        services.AddKnowledge();
        services.AddSingleton<BriefCitations>();
        services.AddSingleton<KnowledgeAudit>();
        // Started by the server only, after the startup initializer's bundled ingest: audit records lost to a crash are
        // appended again. The watcher and the CLI's ingest run it too.
        services.AddSingleton<KnowledgeAuditRecovery>();
        services.AddHostedService(sp => sp.GetRequiredService<KnowledgeAuditRecovery>());
        // Started only by the server's host (the CLI runs no hosted services): picks up what the CLI changes beside it.
        services.AddHostedService<KnowledgeWatcher>();
    }
}
