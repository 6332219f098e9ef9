using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AgentCrm.Agents;
using AgentCrm.Agents.Customers;

namespace AgentCrm.Customers;

/// <summary>Cooldown marks: the key a brief leaves, whether a firing waits, and forgetting marks whose cooldown is over.</summary>
public sealed partial class CustomerActor
{
    /// <summary>
    /// Most cooldown marks kept per agent and customer; past it the oldest go first (a mark outlives its cooldown only while unseen),
    /// but not those the current turn left (an answer may name up to 100 findings).
    /// </summary>
    public const int MaxMarksPerAgent = 32;

    /// <summary>
    /// The mark a brief leaves: per agent when the assessment names no finding (renewal risk, rules, plugins), else per
    /// agent and finding (the finding's hash: keys stay short whatever the agent puts in it), so only the same finding
    /// waits out the cooldown; a vetoed brief's mark stays too (the reviewer said no to that finding).
    /// </summary>
    internal static string CooldownKey(string agent, string findingKey) => findingKey.Length == 0 ? agent
        : $"{agent}|{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(findingKey)))[..16]}";

    /// <summary>
    /// Drops the agent's marks whose cooldown is over (they can no longer suppress anything) and keeps at most
    /// <see cref="MaxMarksPerAgent"/>. <paramref name="cooldownDays"/> is the longest cooldown that could read them, not the
    /// writing version's: a version with a shorter one dropped an earlier version's marks, which after a rollback to that
    /// version no longer held its briefs back. A mark with a longer cooldown of its own (<see cref="BriefMark.CooldownDays"/>) lasts that long.
    /// </summary>
    internal static void ForgetExpiredMarks(CustomerState state, string agent, double cooldownDays, DateTimeOffset asOf)
    {
        var mine = state.LastBriefs.Where(m => m.Key == agent || m.Key.StartsWith(agent + "|", StringComparison.Ordinal)).ToList();
        var expired = mine.Where(m => asOf - m.Value.At >= m.Value.HoldsFor(cooldownDays));
        // Past the bound the oldest go, never a mark this turn left: an answer naming more findings than the bound dropped some
        // of its own fresh marks, and those findings briefed again on every event.
        var surplus = mine.OrderByDescending(m => m.Value.At).ThenBy(m => m.Key, StringComparer.Ordinal).Skip(MaxMarksPerAgent).Where(m => m.Value.At < asOf);
        foreach (var key in expired.Concat(surplus).Select(m => m.Key).ToList())
            state.LastBriefs.Remove(key);
    }

    /// <summary>The longest cooldown that could read the marks of <paramref name="agent"/> (a mark key's agent part), or null when it knows none.</summary>
    internal delegate double? MarkCooldown(ReadOnlySpan<char> agent);

    private const string ShadowSuffix = "#shadow";

    /// <summary>
    /// Drops every cooldown mark whose cooldown is over, whichever agent left it, as a turn saves: the agent writing drops
    /// its own above, but a shadow version's marks (<c>id@version#shadow</c>) and those of an agent that no longer runs were
    /// kept, and saved with every turn, for good. Expiry is on the event-time clock the marks are read by
    /// (<see cref="CustomerState.LastEventAt"/>: an event turn's asOf; a re-score's is the wall clock, never earlier), against
    /// the longest cooldown that could still read the mark (<paramref name="longestCooldownDays"/> of the mark's agent part,
    /// or the longest any manifest may declare when it knows none; the mark's own when longer). Costs nothing without marks, and allocates nothing while none
    /// expires (the lookup is a map the registry builds when it changes).
    /// </summary>
    internal static void ForgetExpiredMarks(CustomerState state, MarkCooldown longestCooldownDays)
    {
        if (state.LastBriefs.Count == 0 || state.LastEventAt is not { } asOf)
            return;
        List<string>? expired = null;
        foreach (var (key, mark) in state.LastBriefs)
        {
            var age = asOf - mark.At;
            if (age < TimeSpan.Zero)
                continue;
            var bar = key.IndexOf('|', StringComparison.Ordinal);
            var agent = bar < 0 ? key.AsSpan() : key.AsSpan(0, bar);
            if (age >= mark.HoldsFor(longestCooldownDays(agent) ?? ManifestReader.MaxCooldownDays))
                (expired ??= []).Add(key);
        }
        foreach (var key in expired ?? [])
            state.LastBriefs.Remove(key);
    }

    /// <summary>
    /// One brief per mark (agent, or agent and finding) per cooldown, unless the score rose by the agent's re-brief margin.
    /// A mark of the whole agent (<paramref name="agent"/>: saved before findings were named, or by a version that names
    /// none) covers every finding while it lasts, so an upgrade does not re-brief what was just briefed or vetoed.
    /// </summary>
    internal static bool InCooldown(CustomerState state, string agent, string key, AgentManifest manifest, Assessment assessment, DateTimeOffset asOf) =>
        Holds(state, key, manifest, assessment.Score, asOf) || (key != agent && Holds(state, agent, manifest, assessment.Score, asOf));

    /// <summary>
    /// The cooldown marks a brief of <paramref name="assessment"/> leaves; none when the firing waits out the cooldown.
    /// One finding (<see cref="Assessment.FindingKey"/>, or the agent when it names none): its mark, unless
    /// <see cref="InCooldown"/>. Several (<see cref="Assessment.Findings"/>): the mark of each finding that its own mark does
    /// not hold back (on the finding's own score), so a new finding briefs while those briefed before wait and keep their
    /// marks as they were; none when every finding is held back, or when a mark of the whole holds them all — the agent's
    /// (as above), or the one an earlier build left for <see cref="Assessment.FindingKey"/> (one key for all of them).
    /// </summary>
    internal static List<KeyValuePair<string, BriefMark>> MarksToLeave(CustomerState state, string agent, AgentManifest manifest, Assessment assessment, DateTimeOffset asOf)
    {
        var whole = CooldownKey(agent, assessment.FindingKey);
        if (assessment.Findings is not { Count: > 0 } findings)
            return InCooldown(state, agent, whole, manifest, assessment, asOf) ? [] : [new(whole, new BriefMark(asOf, assessment.Score))];
        if (InCooldown(state, agent, whole, manifest, assessment, asOf))
            return [];
        var marks = new List<KeyValuePair<string, BriefMark>>(findings.Count);
        foreach (var finding in findings)
        {
            var key = CooldownKey(agent, finding.Key);
            var at = marks.FindIndex(m => m.Key == key);
            if (at >= 0)
                marks[at] = new(key, new BriefMark(asOf, Math.Max(marks[at].Value.Score, finding.Score)) { CooldownDays = Math.Max(marks[at].Value.CooldownDays, finding.CooldownDays) });
            else if (!Holds(state, key, manifest, finding.Score, asOf))
                marks.Add(new(key, new BriefMark(asOf, finding.Score) { CooldownDays = finding.CooldownDays }));
        }
        return marks;
    }

    /// <summary>
    /// Whether the mark <paramref name="key"/> holds back a finding scored <paramref name="score"/>: left within the cooldown
    /// (the manifest's, or the mark's own when longer: <see cref="Finding.CooldownDays"/>), and the score not risen by the
    /// re-brief margin since.
    /// </summary>
    private static bool Holds(CustomerState state, string key, AgentManifest manifest, double score, DateTimeOffset asOf)
    {
        var rise = manifest.Parameters.TryGetValue("rescoreRise", out var r) && r.ValueKind == JsonValueKind.Number ? r.GetDouble() : 0.15;
        return state.LastBriefs.TryGetValue(key, out var last) && asOf - last.At < last.HoldsFor(manifest.CooldownDays) && score < last.Score + rise;
    }
}
