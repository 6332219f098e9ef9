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
}
