using System.CommandLine;
using System.Globalization;

namespace AgentCrm.Cli;

/// <summary>
/// Rules on the form of a value, checked while parsing: a value that breaks one is a usage error (exit 2, one line naming the
/// option or argument and what it takes, see <see cref="ParseErrors"/>) before the data directory is opened.
/// </summary>
internal static class ValueRules
{
    /// <summary>Checks the value given to <paramref name="option"/>: <paramref name="problem"/> says what it takes when the value breaks the rule, else null.</summary>
    public static void Add(Option option, Func<string, string?> problem) =>
        option.Validators.Add(r =>
        {
            if (r.Tokens.Count > 0 && problem(r.Tokens[^1].Value) is { } what)
                r.AddError(Message(option.Name, r.Tokens[^1].Value, what));
        });

    /// <summary>Checks the value given to <paramref name="argument"/>, as <see cref="Add(Option, Func{string, string?})"/> does an option's.</summary>
    public static void Add(Argument argument, Func<string, string?> problem) =>
        argument.Validators.Add(r =>
        {
            if (r.Tokens.Count > 0 && problem(r.Tokens[^1].Value) is { } what)
                r.AddError(Message(argument.Name, r.Tokens[^1].Value, what));
        });

    /// <summary>A whole number of at least <paramref name="minimum"/> (one that is not a number at all is the parser's error).</summary>
    public static Func<string, string?> AtLeast(int minimum) => value =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n < minimum
            ? $"it takes a whole number, {minimum.ToString("N0", CultureInfo.InvariantCulture)} or more"
            : null;

    /// <summary>A new version, by the rule a manifest registered now must follow (<see cref="Agents.ManifestNames.NewVersionFault"/>).</summary>
    public static string? Version(string value) =>
        Agents.ManifestNames.NewVersionFault(value) is { } fault ? $"it takes a version like 1.2.3 or 1.2.3-suffix{(fault.Length > 0 ? ": " + fault : "")}" : null;

    /// <summary>The name of a case set to read (<see cref="Sandbox.CaseSetStore.IsValidName"/>).</summary>
    public static string? CaseSetName(string value) =>
        Sandbox.CaseSetStore.IsValidName(value) ? null : Sandbox.CaseSetStore.NameRule;

    /// <summary>An agent id (<see cref="Agents.ManifestReader.IsValidId"/>): one of another form names no agent.</summary>
    public static string? AgentId(string value) =>
        Agents.ManifestReader.IsValidId(value) ? null : Agents.ManifestReader.IdRule;

    /// <summary>An API key's name (<see cref="Access.ApiKeyStore.IsValidName"/>).</summary>
    public static string? KeyName(string value) =>
        Access.ApiKeyStore.IsValidName(value) ? null : "a key name is " + Access.ApiKeyStore.NameRule;

    /// <summary>A webhook subscription's id (<see cref="Webhooks.WebhookStore.IsValidId"/>).</summary>
    public static string? WebhookId(string value) =>
        Webhooks.WebhookStore.IsValidId(value) ? null : Webhooks.WebhookStore.IdRule;

    /// <summary>The options of <paramref name="options"/> given on the command line (not their defaults), by name.</summary>
    public static List<string> Given(ParseResult parse, IEnumerable<Option> options) =>
        [.. options.Where(o => parse.GetResult(o) is { Implicit: false } r && !(r.Option is Option<bool> && parse.GetValue((Option<bool>)r.Option) is false)).Select(o => o.Name)];

    /// <summary>
    /// The first of the files a verb reads that is not there, as "OPTION: no such file: PATH" (or "OPTION: is a folder, not a
    /// file: PATH", as `agents register` says of a folder), or null: checked before the data directory is opened, so a mistyped
    /// path leaves nothing behind (a failure, exit 1: the form of the value was right).
    /// </summary>
    public static string? MissingFile(params (FileInfo? File, string Name)[] files) =>
        files.FirstOrDefault(f => f.File is { Exists: false }) is { File: { } missing } named
            ? $"{named.Name}: {(Directory.Exists(missing.FullName) ? "is a folder, not a file" : "no such file")}: {missing.FullName}"
            : null;

    private static string Message(string name, string value, string problem) => $"{name}: '{value}' is not valid; {problem}";
}
