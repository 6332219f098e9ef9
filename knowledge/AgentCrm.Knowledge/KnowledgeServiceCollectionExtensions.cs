using AgentCrm.Knowledge.Embeddings;
using AgentCrm.Knowledge.Options;
using AgentCrm.Knowledge.Retrieval;
using AgentCrm.Knowledge.Stores;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AgentCrm.Knowledge;

public static class KnowledgeServiceCollectionExtensions
{
    /// <summary>
    /// Registers the knowledge area bound to the "Knowledge" section: options (validated at start), the local
    /// embedder, the store chosen by Knowledge:Provider and <see cref="KnowledgeService"/>. Hosts may register their
    /// own <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/>, <see cref="IChatClient"/> or store first.
    /// </summary>
    public static IServiceCollection AddKnowledge(this IServiceCollection services)
    {
        services.AddOptions<KnowledgeOptions>().BindConfiguration(KnowledgeOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<KnowledgeOptions>, KnowledgeOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(sp =>
            new LocalEmbeddingGenerator(sp.GetRequiredService<IOptions<KnowledgeOptions>>().Value.Dimension));
        services.TryAddSingleton<IKnowledgeStore>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<KnowledgeOptions>>().Value;
            return options.Provider switch
            {
                KnowledgeProvider.Embedded => new EmbeddedKnowledgeStore(Path.Combine(options.DataDirectory, KnowledgeOptions.EmbeddedStoreFileName)),

                // The Qdrant store registers itself before AddKnowledge (TryAdd keeps it) when Provider is Qdrant.
                KnowledgeProvider.Qdrant => throw new InvalidOperationException("Knowledge:Provider is Qdrant but no Qdrant store is registered; register it before AddKnowledge()."),
                _ => throw new InvalidOperationException($"Unknown Knowledge:Provider '{options.Provider}'."),
            };
        });
        services.TryAddSingleton(sp => new KnowledgeService(
            sp.GetRequiredService<IKnowledgeStore>(),
            sp.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>(),
            sp.GetRequiredService<IOptions<KnowledgeOptions>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<IChatClient>(),
            sp.GetService<ILogger<KnowledgeService>>()));
        return services;
    }
}
