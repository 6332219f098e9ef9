using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace AgentCrm.Knowledge.Stores.Qdrant;

public static class QdrantServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="QdrantKnowledgeStore"/> as the <see cref="IKnowledgeStore"/> with options bound from
    /// "Knowledge:Qdrant" and validated at start. Meant to be called by the knowledge area's AddKnowledge when
    /// <c>Knowledge:Provider = Qdrant</c>.
    /// </summary>
    public static IServiceCollection AddQdrantKnowledgeStore(this IServiceCollection services)
    {
        services.AddOptions<QdrantOptions>().BindConfiguration(QdrantOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<QdrantOptions>, QdrantOptionsValidator>());
        // Polly owns timeouts (per attempt, inside retries), so HttpClient's own 100 s default must not cut in first.
        services.AddHttpClient(QdrantKnowledgeStore.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IKnowledgeStore, QdrantKnowledgeStore>();
        return services;
    }
}
