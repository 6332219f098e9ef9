using AgentCrm.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace AgentCrm.Actors;

public static class ActorServiceCollectionExtensions
{
    /// <summary>The embedded actor host (<c>Runtime:Host = Embedded</c>) with its SQLite store; options from "Storage" and "Actors".</summary>
    public static IServiceCollection AddEmbeddedActorHost(this IServiceCollection services)
    {
        services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<StorageOptions>, StorageOptionsValidator>());
        services.AddOptions<ActorOptions>().BindConfiguration(ActorOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ActorOptions>, ActorOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<SqliteDatabase>();
        services.TryAddSingleton<SqliteWriter>();
        services.TryAddSingleton<ActorTypeRegistry>();
        services.TryAddSingleton<IActorStateStore, SqliteActorStateStore>();
        services.TryAddSingleton<EmbeddedActorHost>();
        services.TryAddSingleton<IActorHost>(sp => sp.GetRequiredService<EmbeddedActorHost>());
        services.AddHostedService(sp => sp.GetRequiredService<EmbeddedActorHost>());
        return services;
    }

    /// <summary>
    /// Registers an actor type under <paramref name="typeName"/> with the argument type of each method and,
    /// optionally, the result types callers read back (used when calls travel as JSON, under Dapr) and the methods that may
    /// run twice for one call with the effect of once (<see cref="ActorTypeInfo.Repeatable"/>; none when not given).
    /// </summary>
    public static IServiceCollection AddActor<TActor>(this IServiceCollection services, string typeName, IReadOnlyDictionary<string, Type?> methods, IReadOnlyDictionary<string, Type?>? results = null,
        IReadOnlySet<string>? repeatable = null)
        where TActor : Actor
    {
        ArgumentException.ThrowIfNullOrEmpty(typeName);
        ArgumentNullException.ThrowIfNull(methods);
        if (repeatable?.FirstOrDefault(m => !methods.ContainsKey(m)) is { } unknown)
            throw new ArgumentException($"Actor type '{typeName}' has no method '{unknown}' to declare repeatable.", nameof(repeatable));
        // Plain Add: TryAddEnumerable would keep only the first ActorTypeInfo instance.
        services.AddSingleton(new ActorTypeInfo(typeName, typeof(TActor), methods, results, repeatable));
        services.TryAddSingleton<ActorTypeRegistry>();
        return services;
    }
}
