using System.Text.Json;
using AgentCrm.Server;
using Serilog.Events;
using Serilog.Formatting.Json;
using Serilog.Parsing;

namespace AgentCrm.Runtime.Tests.Server;

/// <summary>
/// The JSON log's <c>RenderedMessage</c> quoted string values (<c>agentcrm "1.0.0+…" …, data directory "/srv/data"</c>) where
/// the text log does not, so a grep written against the text log found nothing in the JSON one (fix34a). It reads as the text
/// log's message now; the rest of the line is Serilog's JSON as before.
/// </summary>
public sealed class JsonLogMessageTests
{
    [Fact]
    public async Task TheJsonStartLine_RendersItsMessageAsTheTextLogDoes()
    {
        var dir = TempDirectory.Create();
        using var server = ServeProcess.Start(dir, new() { ["Knowledge__IngestBundled"] = "false", ["Runtime__LogFormat"] = "Json" });
        await server.WaitForReadyAsync();
        server.Signal(15);
        Assert.Equal(0, await server.WaitForExitAsync());

        var start = server.Stdout.Split('\n').Select(l => JsonDocument.Parse(l).RootElement)
            .Single(e => e.GetProperty("Properties").TryGetProperty("SourceContext", out var c) && c.GetString() == "AgentCrm.Server.Start");
        Assert.Equal($"agentcrm {AgentCrmServer.BuildVersion} (data format {ServerSchema.FormatVersion}), data directory {Path.GetFullPath(dir)}",
            start.GetProperty("RenderedMessage").GetString());
        Assert.Equal(AgentCrmServer.BuildVersion, start.GetProperty("Properties").GetProperty("Version").GetString());
    }

    [Fact]
    public void ARenderedMessageWithQuotesAndBackslashes_IsReplacedWhole_AndTheRestOfTheLineIsKept()
    {
        var template = new MessageTemplateParser().Parse("copied {Path} to {Target} \"as asked\" \\ {Count} {Seconds:F1} s");
        var logEvent = new LogEvent(DateTimeOffset.Parse("2026-12-06T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture), LogEventLevel.Warning,
            new InvalidOperationException("boom \"x\""), template,
            [
                new LogEventProperty("Path", new ScalarValue("C:\\a \"b\"")),
                new LogEventProperty("Target", new ScalarValue("/srv/\"data\"\\")),
                new LogEventProperty("Count", new ScalarValue(3)),
                new LogEventProperty("Seconds", new ScalarValue(2.0)),
            ]);
        using var plain = new StringWriter();
        new JsonFormatter(renderMessage: true).Format(logEvent, plain);
        using var written = new StringWriter();
        new AgentCrmServer.TextRenderedMessage(new JsonFormatter(renderMessage: true)).Format(logEvent, written);

        var line = JsonDocument.Parse(written.ToString()).RootElement;
        Assert.Equal("copied C:\\a \"b\" to /srv/\"data\"\\ \"as asked\" \\ 3 2.0 s", line.GetProperty("RenderedMessage").GetString());
        var before = JsonDocument.Parse(plain.ToString()).RootElement;
        Assert.Equal(before.EnumerateObject().Select(p => p.Name), line.EnumerateObject().Select(p => p.Name));
        foreach (var property in before.EnumerateObject().Where(p => p.Name != "RenderedMessage"))
            Assert.Equal(property.Value.GetRawText(), line.GetProperty(property.Name).GetRawText());
        Assert.EndsWith(Environment.NewLine, written.ToString(), StringComparison.Ordinal);
    }
}
