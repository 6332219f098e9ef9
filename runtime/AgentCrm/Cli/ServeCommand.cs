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
        // A host that fails to start (e.g. its port is taken) logs the exception with its stack trace before RunAsync
        // throws it; the CLI tells that exception in one line, so the host's copy is dropped until it has started.
        // Later failures (a faulting background service) are still logged in full.
        var started = new StartedFlag();
        // Serilog's provider has a rule of its own (AddSerilog adds one), which a rule for every provider would not override.
        var app = AgentCrmServer.Build([], overrides, services => services.AddLogging(logging => logging
            .AddFilter(HostCategory, level => level != LogLevel.Error || started.Value)
            .AddFilter<Serilog.Extensions.Logging.SerilogLoggerProvider>(HostCategory, level => level != LogLevel.Error || started.Value)));
        app.Lifetime.ApplicationStarted.Register(() => started.Value = true);
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

    /// <summary>The category Microsoft.Extensions.Hosting logs "Hosting failed to start" under.</summary>
    private const string HostCategory = "Microsoft.Extensions.Hosting.Internal.Host";

    private sealed class StartedFlag
    {
        private volatile bool _value;

        public bool Value { get => _value; set => _value = value; }
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
