using AgentCrm.Actors;
using AgentCrm.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AgentCrm.Dapr;

public static class DaprServiceCollectionExtensions
{
    /// <summary>
    /// The Dapr actor host (<c>Runtime:Host = Dapr</c>): <see cref="IActorHost"/> calls go through daprd, and
    /// <see cref="DaprActorRuntime"/> runs the turns daprd sends to this app (map them with
    /// <see cref="DaprActorsApi.MapDaprActors"/>). The SQLite database stays for everything that is not actor
    /// state (inbox, briefs, registry, audit). Options from "Dapr" and "Actors".
    /// </summary>
    public static IServiceCollection AddDaprActorHost(this IServiceCollection services)
    {
        services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<StorageOptions>, StorageOptionsValidator>());
        services.AddOptions<ActorOptions>().BindConfiguration(ActorOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ActorOptions>, ActorOptionsValidator>());
        services.AddOptions<DaprOptions>().BindConfiguration(DaprOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<DaprOptions>, DaprOptionsSetup>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DaprOptions>, DaprOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<SqliteDatabase>();
        services.TryAddSingleton<SqliteWriter>();
        services.TryAddSingleton<ActorTypeRegistry>();
        // One pooled client for the process (recycling connections so DNS changes of DAPR_HTTP_ENDPOINT are seen);
        // Dapr:RequestTimeout bounds each call, retries included (daprd sets none per call, sheet §3.2), not HttpClient's 100 s per attempt.
        services.TryAddSingleton(sp => new DaprSidecarClient(
            new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = Timeout.InfiniteTimeSpan },
            sp.GetRequiredService<IOptions<DaprOptions>>().Value,
            sp.GetRequiredService<ILogger<DaprSidecarClient>>(),
            sp.GetRequiredService<TimeProvider>()));
        services.AddHostedService<DaprSidecarStartup>();
        services.TryAddSingleton<DaprAppTokenRefusals>();
        services.TryAddSingleton<DaprActorRuntime>();
        services.TryAddSingleton<DaprActorHost>();
        services.TryAddSingleton<IActorHost>(sp => sp.GetRequiredService<DaprActorHost>());
        return services;
    }
}
