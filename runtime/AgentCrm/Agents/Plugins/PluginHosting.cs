namespace AgentCrm.Agents.Plugins;

public static class PluginHosting
{
    /// <summary>The <c>plugin</c> kind, its assembly store and limits, for the server and the CLI alike.</summary>
    public static IServiceCollection AddAgentPlugins(this IServiceCollection services)
    {
        // Before any host starts: its handler runs before the host's own stops the log.
        PluginExitLog.Watch();
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
