using System.CommandLine;
using AgentCrm.Demo;
using AgentCrm.Server;

namespace AgentCrm.Cli;

internal static class ServeCommand
{
    private static readonly Option<bool> Demo = new("--demo") { Description = "Feed the bundled demo timeline and print where to look." };
    private static readonly Option<string?> Urls = new("--urls") { Description = $"Listen addresses (default {AgentCrmServer.DefaultUrls})." };

    public static Command Create()
    {
        var command = new Command("serve", "Run the server (the default verb).") { Demo, Urls };
        command.SetAction(RunAsync);
        return command;
    }

    public static async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var overrides = AgentCrmCli.StorageOverrides(parse);
        if (parse.GetValue(Urls) is { } urls)
            overrides["urls"] = urls;
        var app = AgentCrmServer.Build([], overrides);
        // Bad settings fail here with one line naming the key, before the host would log a stack trace.
        app.Services.GetService<Microsoft.Extensions.Options.IStartupValidator>()?.Validate();
        if (BadListenAddress(app.Configuration["urls"]) is { } bad)
            return parse.GetValue(Urls) is not null
                ? AgentCrmCli.Usage($"--urls: '{bad}' is not a listen address such as {AgentCrmServer.DefaultUrls}.")
                : AgentCrmCli.Fail($"invalid configuration: urls: '{bad}' is not a listen address such as {AgentCrmServer.DefaultUrls}.");
        if (parse.GetValue(Demo))
            DemoFeeder.Attach(app);
        await app.RunAsync(cancellationToken);
        return 0;
    }

    /// <summary>The first of the ';'-separated listen addresses Kestrel would refuse, or null.</summary>
    private static string? BadListenAddress(string? urls)
    {
        foreach (var url in (urls ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            try
            {
                Microsoft.AspNetCore.Http.BindingAddress.Parse(url);
            }
            catch (FormatException)
            {
                return url;
            }
        }
        return null;
    }
}
