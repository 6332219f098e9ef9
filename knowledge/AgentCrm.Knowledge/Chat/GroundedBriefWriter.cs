using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace AgentCrm.Knowledge.Chat;

/// <summary>The evidence a model may use: nothing else may appear in a model-written brief.</summary>
public sealed record BriefEvidence(
    string CustomerName,
    string Scenario,
    double Score,
    double Threshold,
    IReadOnlyList<(string Field, object? Value, string Explanation)> Reasons,
    string NextStep,
    IReadOnlyList<(string Title, string Section, string Snippet)> Citations);

public sealed record WrittenBrief(string Headline, string Body);

/// <summary>
/// Asks a chat model for a brief's headline and body from the evidence only, and checks the answer: every
/// number it contains must appear in the evidence. Any failure (outage, open circuit, malformed or
/// ungrounded answer) returns null, and the caller writes the deterministic template instead.
/// </summary>
public sealed partial class GroundedBriefWriter(IChatClient chat, ILogger<GroundedBriefWriter> logger)
{
    /// <summary>A model that is down, refuses the key or keeps answering off the evidence fails every brief: one line per interval, with the count since.</summary>
    public static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(10);
    private readonly object _logGate = new();
    private long _loggedAt;
    private int _unlogged;

    public const string Instructions = """
        You write short briefs for customer-success managers. Use ONLY the facts in the JSON evidence.
        Do not add numbers, dates, names, or claims that are not in the evidence. Keep every number exactly
        as written in the evidence. Answer in plain text: the first line is a one-sentence headline that
        starts with the scenario and the score; then a blank line; then at most 6 short lines: why, and the
        next step, citing the knowledge sections by their title when they help.
        """;

    public async Task<WrittenBrief?> WriteAsync(BriefEvidence evidence, CancellationToken cancellationToken = default)
    {
        var json = Evidence(evidence);
        string text;
        try
        {
            var response = await chat.GetResponseAsync(
                [new ChatMessage(ChatRole.System, Instructions), new ChatMessage(ChatRole.User, json)],
                new ChatOptions { Temperature = 0 }, cancellationToken);
            text = response.Text.Trim();
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            if (ShouldLog(out var unlogged))
                LogModelFailed(ex, evidence.Scenario, unlogged, LogInterval.TotalSeconds);
            return null;
        }
        var lines = text.Split('\n', 2);
        var headline = lines[0].Trim();
        var body = lines.Length > 1 ? lines[1].Trim() : "";
        if (headline.Length == 0 || headline.Length > 300 || body.Length > 4000 || !Grounded(text, json))
        {
            if (ShouldLog(out var unlogged))
                LogAnswerRefused(evidence.Scenario, unlogged, LogInterval.TotalSeconds);
            return null;
        }
        return new WrittenBrief(headline, body);
    }

    /// <summary>True when every number in <paramref name="text"/> also appears in <paramref name="evidence"/> (as written, or as a percentage of a fraction).</summary>
    public static bool Grounded(string text, string evidence)
    {
        var known = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match m in Number().Matches(evidence))
        {
            known.Add(Normalize(m.Value));
            if (double.TryParse(m.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
            {
                known.Add(Normalize((d * 100).ToString("0.##", CultureInfo.InvariantCulture)));
                known.Add(Normalize(Math.Abs(d * 100).ToString("0", CultureInfo.InvariantCulture)));
                known.Add(Normalize(d.ToString("0.00", CultureInfo.InvariantCulture)));
                known.Add(Normalize(Math.Abs(d).ToString("0.##", CultureInfo.InvariantCulture)));
            }
        }
        return Number().Matches(text).All(m => known.Contains(Normalize(m.Value)));
    }

    private static string Normalize(string number) =>
        double.TryParse(number.Replace(",", "", StringComparison.Ordinal), NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
            ? Math.Abs(d).ToString("0.####", CultureInfo.InvariantCulture)
            : number;

    private static string Evidence(BriefEvidence e) => JsonSerializer.Serialize(new
    {
        customer = e.CustomerName,
        scenario = e.Scenario,
        score = Math.Round(e.Score, 2),
        threshold = Math.Round(e.Threshold, 2),
        reasons = e.Reasons.Select(r => new { field = r.Field, value = r.Value, explanation = r.Explanation }),
        nextStep = e.NextStep,
        knowledge = e.Citations.Select(c => new { title = c.Title, section = c.Section, text = c.Snippet }),
    });

    private bool ShouldLog(out int unlogged)
    {
        unlogged = 0;
        lock (_logGate)
        {
            var now = Environment.TickCount64;
            if (_loggedAt != 0 && now - _loggedAt < (long)LogInterval.TotalMilliseconds)
            {
                _unlogged++;
                return false;
            }
            (_loggedAt, unlogged, _unlogged) = (now, _unlogged, 0);
            return true;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The chat model failed on a {Scenario} brief; the brief uses the template and is marked degraded ({Unlogged} more degraded briefs since the last one logged; logged at most once per {Interval} s)")]
    private partial void LogModelFailed(Exception ex, string scenario, int unlogged, double interval);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The chat model's answer for a {Scenario} brief was refused (empty, too long, or a number not in the evidence); the brief uses the template and is marked degraded ({Unlogged} more degraded briefs since the last one logged; logged at most once per {Interval} s)")]
    private partial void LogAnswerRefused(string scenario, int unlogged, double interval);

    [GeneratedRegex(@"-?\d+(?:[.,]\d+)*")]
    private static partial Regex Number();
}
