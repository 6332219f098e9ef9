namespace AgentCrm.Agents.Plugins;

public static class PluginHosting
{
    /// <summary>The <c>plugin</c> kind, its assembly store and limits, for the server and the CLI alike.</summary>
    public static IServiceCollection AddAgentPlugins(this IServiceCollection services)
    {
        services.AddOptions<PluginOptions>().BindConfiguration(PluginOptions.Section).ValidateOnStart();
        services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<PluginOptions>, PluginOptionsValidator>();
        services.AddSingleton(PluginStore.Schema);
        services.AddSingleton<PluginStore>();
        services.AddSingleton<PluginKind>();
        services.AddSingleton<PluginUploadAudit>();
        services.AddSingleton<IAgentKind>(sp => sp.GetRequiredService<PluginKind>());
        return services;
    }
}
