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

    /// <summary>
    /// A token goes in the dapr-api-token header, which carries ASCII only: a non-ASCII one passed and every call to daprd
    /// then failed as "daprd was not ready", daprd's to the app as 401 (qa45c L1). Refused at start, naming the setting, not its value.
    /// </summary>
    [Theory]
    [InlineData("Dapr:ApiToken", "clé", "Dapr:ApiToken")]
    [InlineData("DAPR_API_TOKEN", "clé", "DAPR_API_TOKEN")]
    [InlineData("Dapr:AppApiToken", "jeton-été", "Dapr:AppApiToken")]
    [InlineData("APP_API_TOKEN", "токен", "APP_API_TOKEN")]
    [InlineData("Dapr:ApiToken", " padded ", "Dapr:ApiToken")]
    [InlineData("Dapr:AppApiToken", "tab\there", "Dapr:AppApiToken")]
    public void Validator_TokenNotVisibleAscii_FailsAtStartNamingTheSetting(string key, string value, string named)
    {
        var ex = Assert.Throws<OptionsValidationException>(() => Resolve(new() { [key] = value }));

        var failure = Assert.Single(ex.Failures);
        Assert.Contains(named, failure, StringComparison.Ordinal);
        Assert.DoesNotContain(value.Trim(), failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Validator_AsciiTokens_Pass()
    {
        var options = Resolve(new() { ["DAPR_API_TOKEN"] = "a-Z_0.9~+/=", ["Dapr:AppApiToken"] = "x y!" });

        Assert.Equal("a-Z_0.9~+/=", options.ApiToken);
    }

    private static DaprOptions Resolve(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        using var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddLogging().AddDaprActorHost().BuildServiceProvider();
        return services.GetRequiredService<IOptions<DaprOptions>>().Value;
    }
}
