using AgentCrm.Dapr;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AgentCrm.Actors.Tests.Dapr;

public sealed class DaprOptionsTests
{
    [Fact]
    public void Options_DaprCliVariables_FillEndpointAndTokens()
    {
        var options = Resolve(new() { ["DAPR_HTTP_PORT"] = "3501", ["DAPR_API_TOKEN"] = "api", ["APP_API_TOKEN"] = "app" });

        Assert.Equal("http://127.0.0.1:3501", options.HttpEndpoint);
        Assert.Equal("api", options.ApiToken);
        Assert.Equal("app", options.AppApiToken);
    }

    [Fact]
    public void Options_HttpEndpointVariable_WinsOverPortAndExplicitSettingWinsOverBoth()
    {
        Assert.Equal("http://daprd:3600", Resolve(new() { ["DAPR_HTTP_ENDPOINT"] = "http://daprd:3600", ["DAPR_HTTP_PORT"] = "3501" }).HttpEndpoint);
        Assert.Equal("http://127.0.0.1:3500", Resolve([]).HttpEndpoint);
        Assert.Equal("http://10.0.0.5:3500", Resolve(new() { ["Dapr:HttpEndpoint"] = "http://10.0.0.5:3500", ["DAPR_HTTP_PORT"] = "3501" }).HttpEndpoint);
    }

    [Fact]
    public void Validator_BadSettings_NamesEveryKey()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => Resolve(new()
        {
            ["Dapr:HttpEndpoint"] = "not a url",
            ["Dapr:Topic"] = "a/b",
            ["Dapr:MaxRetries"] = "-1",
            ["Dapr:SidecarWaitTimeout"] = "00:00:00",
        }));

        foreach (var key in new[] { "Dapr:HttpEndpoint", "Dapr:Topic", "Dapr:MaxRetries", "Dapr:SidecarWaitTimeout" })
            Assert.Contains(ex.Failures, f => f.Contains(key, StringComparison.Ordinal));
    }

    private static DaprOptions Resolve(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        using var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddLogging().AddDaprActorHost().BuildServiceProvider();
        return services.GetRequiredService<IOptions<DaprOptions>>().Value;
    }
}
