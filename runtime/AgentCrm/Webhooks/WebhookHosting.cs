using Microsoft.Extensions.Options;

namespace AgentCrm.Webhooks;

public static class WebhookHosting
{
    /// <summary>Subscriptions, their store and the dispatcher that delivers them (a hosted service: it starts and stops with the server).</summary>
    public static void AddWebhooks(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<WebhookOptions>().BindConfiguration(WebhookOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<WebhookOptions>, WebhookOptionsValidator>();
        builder.Services.AddSingleton<WebhookStore>();
        builder.Services.AddSingleton<WebhookDispatcher>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<WebhookDispatcher>());
    }

    /// <summary>
    /// The Webhooks settings from <paramref name="configuration"/>, refused as the server's start refuses them
    /// (<see cref="OptionsValidationException"/>): for the CLI's verbs, which share the server's cap.
    /// </summary>
    internal static WebhookOptions ReadOptions(IConfiguration configuration)
    {
        var options = configuration.GetSection(WebhookOptions.Section).Get<WebhookOptions>() ?? new WebhookOptions();
        var result = new WebhookOptionsValidator().Validate(null, options);
        return result.Failed ? throw new OptionsValidationException(WebhookOptions.Section, typeof(WebhookOptions), result.Failures) : options;
    }
}
