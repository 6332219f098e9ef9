using System.Text.RegularExpressions;

namespace AgentCrm.Agents.Customers;

/// <summary>
/// The rules of an event's <c>id</c>, <c>customerId</c> and <c>source</c>, wherever the event comes from: <c>POST /v1/events</c>,
/// Dapr pub/sub, a timeline case file. A replay must not read what intake would refuse.
/// </summary>
public static partial class EventIds
{
    /// <summary>The longest id, customer id or source (and any other string field of an event but its timestamp), in <see cref="Characters"/>.</summary>
    public const int MaxLength = 200;

    /// <summary>
    /// The characters of an id as its limit counts them: Unicode code points, as the OpenAPI schema's maxLength and every
    /// manifest text limit count them (an emoji is one, not two UTF-16 units).
    /// </summary>
    public static int Characters(string text) => Rules.Expressions.ExpressionLimits.Characters(text);

    /// <summary>Why <paramref name="value"/>, the event's field <paramref name="name"/>, is too long, or null.</summary>
    public static string? LengthProblem(string name, string value) =>
        value.Length > MaxLength && Characters(value) is var length && length > MaxLength
            ? $"{name} is longer than {MaxLength} characters (this one has {length})."
            : null;

    /// <summary>Why an event id cannot be one: control characters (NUL included) would travel into logs, evidence and the audit log.</summary>
    public static string? IdProblem(string id) => ControlCharacters().IsMatch(id) ? "id must not contain control characters." : null;

    /// <summary>
    /// Why a customer id cannot be one: <see cref="CustomerIdPathProblem"/>; and white space at either end or an invisible
    /// character (zero-width space, a direction override) would make one customer two that look the same, each with its
    /// own history, consent and CSM. Checked on new events; consent and CSM accounts take what <see cref="CustomerIdPathProblem"/>
    /// allows, so customers an earlier build accepted can still have their consent withdrawn.
    /// </summary>
    public static string? CustomerIdProblem(string customerId) =>
        CustomerIdPathProblem(customerId)
        ?? (LookAlikeId().IsMatch(customerId)
            ? "customerId must not start or end with white space nor contain invisible formatting characters (e.g. a zero-width space)."
            : null);

    /// <summary>Why a customer id cannot be an actor id: it becomes a URL path segment (under Dapr), where "." and ".." would be collapsed away.</summary>
    public static string? CustomerIdPathProblem(string customerId) =>
        InvalidActorId().IsMatch(customerId) || customerId is "." or ".."
            ? "customerId must not be \".\" or \"..\" nor contain / \\ ? # or control characters."
            : null;

    /// <summary>A source is shown in evidence and numbers a customer's events with its id: the rules of an id (at most <see cref="MaxLength"/> characters, no control characters).</summary>
    public static string? SourceProblem(string source) =>
        LengthProblem("source", source) ?? (ControlCharacters().IsMatch(source) ? "source must not contain control characters." : null);

    /// <summary>
    /// Whether a name shown as a caller's (a JWT's name claim: log lines and audit records name it) holds what <see cref="CustomerIdProblem"/>
    /// refuses beyond control characters: the line and paragraph separators, an invisible formatting character (the joiners ZWNJ and
    /// ZWJ excepted, as names need them), white space at either end.
    /// </summary>
    public static bool HasHiddenCharacters(string text) => ControlCharacters().IsMatch(text) || LookAlikeId().IsMatch(text);

    // Control characters are C0, DEL and C1 (NEL, CSI: line breaks and terminal escapes in some viewers), and the line and
    // paragraph separators, which split a log line for tools that read Unicode line breaks (qa27d forged an ERR line so).
    [GeneratedRegex(@"[/\\?#\x00-\x1f\x7f-\x9f\u2028\u2029]")]
    private static partial Regex InvalidActorId();

    [GeneratedRegex(@"[\x00-\x1f\x7f-\x9f\u2028\u2029]")]
    private static partial Regex ControlCharacters();

    // Format characters (ZWNJ and ZWJ excepted: Persian and Indic names need them), also those past the BMP (tag characters).
    [GeneratedRegex(@"^\s|\s$|[\p{Cf}-[\u200C\u200D]]|\uDB40[\uDC00-\uDC7F]")]
    private static partial Regex LookAlikeId();
}
