using System.Globalization;

namespace AgentCrm.Agents.Pipeline;

/// <summary>An answer the pipeline refuses: that call is an error of the agent (counted in its health, a sandbox case's error), never a brief.</summary>
public sealed class AnswerRefusedException(string message) : Exception(message);

/// <summary>
/// What any agent's answer may claim, whatever its kind (built-in, rules, plugin), checked live and in the sandbox alike:
/// it fires exactly when its score reaches the manifest's threshold; every reason names its field and explains itself;
/// every finding it lists has a key, a score in [0, 1] and a cooldown of its own in [0, <see cref="MaxFindingCooldownDays"/>];
/// it cites only events behind the fields it was given (others are dropped: they are not this customer's evidence); and a
/// reason's text value — which may echo a long field such as a document's text — is cut to <see cref="MaxValueText"/>.
/// </summary>
public static class AnswerCheck
{
    /// <summary>The longest text value a reason keeps; longer ones are cut (ending with "…").</summary>
    public const int MaxValueText = 4_000;

    /// <summary>The longest cooldown of its own a finding may ask (<see cref="Finding.CooldownDays"/>): ten years, a tender notice's longest <c>noticeDays</c> and a day.</summary>
    public const int MaxFindingCooldownDays = 3_651;

    /// <summary>The answer as stored, or <see cref="AnswerRefusedException"/> naming what is wrong with it.</summary>
    /// <param name="manifest">The registered manifest (its threshold), not what the agent reports.</param>
    /// <param name="answer">What the agent returned.</param>
    /// <param name="seen">The runtime's copy of the fields the agent was given.</param>
    public static Assessment Checked(AgentManifest manifest, Assessment? answer, CustomerSnapshot seen)
    {
        // Named only in a refusal: an answer that passes (every call, on every event) builds no string for it.
        var name = new AgentName(manifest);
        if (answer is null)
            throw new AnswerRefusedException($"{name} returned no assessment.");
        if (answer.Score is not (>= 0 and <= 1))
            throw new AnswerRefusedException($"{name} returned the score {Number(answer.Score)}, outside [0, 1].");
        // One rule for the brief and the sandbox's count alike: a "fired" answer below its threshold was delivered as
        // "scored 0.10 (threshold 0.60)" and counted positive in the report that gated it. Not the reverse: an agent may
        // hold back at or above its threshold for a reason of its own (compliance-check with no clause found; any agent's
        // Assessment.None under a threshold of 0).
        if (answer.Fired && answer.Score < manifest.Threshold)
            throw new AnswerRefusedException($"{name} fired with the score {Number(answer.Score)}, below its threshold {Number(manifest.Threshold)}: an answer fires only when its score reaches the threshold.");
        var findings = answer.Findings ?? [];
        for (var i = 0; i < findings.Count; i++)
        {
            var f = findings[i] ?? throw new AnswerRefusedException($"{name} returned no finding at findings[{i}] (null).");
            // An empty key would be the agent's own mark, holding back every finding of the agent.
            if (string.IsNullOrEmpty(f.Key))
                throw new AnswerRefusedException($"{name} returned a finding with no key at findings[{i}].");
            if (f.Score is not (>= 0 and <= 1))
                throw new AnswerRefusedException($"{name} returned the score {Number(f.Score)} at findings[{i}], outside [0, 1].");
            // A mark's age is compared with it as a TimeSpan: NaN would hold nothing back, and past TimeSpan's range the turn would throw.
            if (f.CooldownDays is not (>= 0 and <= MaxFindingCooldownDays))
                throw new AnswerRefusedException($"{name} returned the cooldown {Number(f.CooldownDays)} days at findings[{i}], outside [0, {MaxFindingCooldownDays}].");
        }
        var reasons = answer.Reasons ?? [];
        HashSet<string>? evidence = null;
        var kept = new List<Reason>(reasons.Count);
        var changed = answer.Reasons is null || answer.Findings is null;
        for (var i = 0; i < reasons.Count; i++)
        {
            var r = reasons[i] ?? throw new AnswerRefusedException($"{name} returned no reason at reasons[{i}] (null).");
            if (string.IsNullOrWhiteSpace(r.Field))
                throw new AnswerRefusedException($"{name} returned a reason naming no field at reasons[{i}].");
            if (string.IsNullOrWhiteSpace(r.Explanation))
                throw new AnswerRefusedException($"{name} returned a reason with no explanation at reasons[{i}] ({r.Field}).");
            if (!double.IsFinite(r.Weight))
                throw new AnswerRefusedException($"{name} returned the weight {r.Weight} at reasons[{i}] ({r.Field}), not a finite number.");
            var ids = r.EventIds ?? [];
            evidence ??= Evidence(seen);
            var cited = AllCited(ids, evidence) ? ids : ids.Where(id => id is not null && evidence.Contains(id)).ToList();
            var value = r.Value is string { Length: > MaxValueText } text ? string.Concat(text.AsSpan(0, MaxValueText - 1), "…") : r.Value;
            if (!ReferenceEquals(cited, r.EventIds) || !ReferenceEquals(value, r.Value))
            {
                r = r with { EventIds = cited, Value = value };
                changed = true;
            }
            kept.Add(r);
        }
        return changed ? answer with { Reasons = kept, Findings = findings } : answer;
    }

    /// <summary>Every event id the fields given to the agent name.</summary>
    private static HashSet<string> Evidence(CustomerSnapshot seen)
    {
        var count = 0;
        foreach (var field in seen.Fields.Values)
            count += field.EventIds?.Count ?? 0;
        var evidence = new HashSet<string>(count, StringComparer.Ordinal);
        foreach (var field in seen.Fields.Values)
            if (field.EventIds is { } ids)
                for (var i = 0; i < ids.Count; i++)
                    evidence.Add(ids[i]);
        return evidence;
    }

    private static bool AllCited(IReadOnlyList<string> ids, HashSet<string> evidence)
    {
        for (var i = 0; i < ids.Count; i++)
            if (ids[i] is null || !evidence.Contains(ids[i]))
                return false;
        return true;
    }

    /// <summary><c>id@version</c>, formatted where a message says it.</summary>
    private readonly struct AgentName(AgentManifest manifest)
    {
        public override string ToString() => $"{manifest.Id}@{manifest.Version}";
    }

    private static string Number(double value) => value.ToString("0.0###", CultureInfo.InvariantCulture);
}
