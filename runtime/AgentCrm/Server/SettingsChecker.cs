using System.Globalization;
using System.Numerics;
using System.Reflection;
using AgentCrm.Agents.Text;
using Microsoft.Extensions.Options;

namespace AgentCrm.Server;

/// <summary>
/// Checks the settings of the sections this product owns before anything binds them, for the server and the CLI alike:
/// a key no options type has (a typo would otherwise be ignored), a section given a value or a list, a value given a
/// section, an enum given a number (the binder would take "2" as the third name), a number out of its type's range, a
/// time span past its maximum (.NET's timers end at ~49.7 days), an empty data directory, an unparseable date.
/// Dictionaries stay free-form; sections of others (Serilog, Logging, Kestrel, AllowedHosts, urls, …) are not looked at.
/// </summary>
public static partial class SettingsChecker
{
    /// <summary>The sections this product owns and the options type bound at each (a nested one is checked as its own).</summary>
    public static readonly IReadOnlyList<(string Path, Type Type)> Sections =
    [
        (RuntimeOptions.Section, typeof(RuntimeOptions)),
        (Storage.StorageOptions.Section, typeof(Storage.StorageOptions)),
        (Actors.ActorOptions.Section, typeof(Actors.ActorOptions)),
        (Dapr.DaprOptions.Section, typeof(Dapr.DaprOptions)),
        (Intake.IntakeOptions.Section, typeof(Intake.IntakeOptions)),
        (Sandbox.SandboxOptions.Section, typeof(Sandbox.SandboxOptions)),
        (Agents.AgentsOptions.Section, typeof(Agents.AgentsOptions)),
        (Agents.Plugins.PluginOptions.Section, typeof(Agents.Plugins.PluginOptions)),
        (Customers.ConsentOptions.Section, typeof(Customers.ConsentOptions)),
        (Briefs.ReviewOptions.Section, typeof(Briefs.ReviewOptions)),
        (Access.AuthOptions.Section, typeof(Access.AuthOptions)),
        (Observability.TelemetryOptions.Section, typeof(Observability.TelemetryOptions)),
        (Webhooks.WebhookOptions.Section, typeof(Webhooks.WebhookOptions)),
        (Audit.AuditOptions.Section, typeof(Audit.AuditOptions)),
        (Knowledge.Options.KnowledgeOptions.SectionName, typeof(Knowledge.Options.KnowledgeOptions)),
        (Knowledge.Embeddings.HttpEmbeddingOptions.Section, typeof(Knowledge.Embeddings.HttpEmbeddingOptions)),
        (Knowledge.Stores.Qdrant.QdrantOptions.Section, typeof(Knowledge.Stores.Qdrant.QdrantOptions)),
        (Knowledge.Chat.ChatModelOptions.Section, typeof(Knowledge.Chat.ChatModelOptions)),
    ];

    /// <summary>Settings read directly rather than through an options type, and what they take.</summary>
    private static readonly IReadOnlyDictionary<string, Type> Direct = new Dictionary<string, Type>(StringComparer.OrdinalIgnoreCase)
    {
        ["Knowledge:IngestBundled"] = typeof(bool),
    };

    /// <summary>Sections that only hold other sections (Models:Chat): no settings of their own.</summary>
    private static readonly string[] Parents = ["Models"];

    /// <summary>
    /// The longest each time-span setting may be (README, "Configuration"); one not listed here may be at most
    /// <see cref="DefaultMaxTime"/>. Timers take at most ~49.7 days; these are far below, at what still makes sense.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, TimeSpan> MaxTimes = new Dictionary<string, TimeSpan>(StringComparer.OrdinalIgnoreCase)
    {
        ["Actors:IdleTimeout"] = TimeSpan.FromDays(30),
        ["Actors:ScanInterval"] = TimeSpan.FromHours(1),
        ["Actors:ReminderPollInterval"] = TimeSpan.FromMinutes(1),
        ["Actors:DrainTimeout"] = TimeSpan.FromHours(1),
        ["Dapr:SidecarWaitTimeout"] = TimeSpan.FromHours(1),
        ["Dapr:RetryBaseDelay"] = TimeSpan.FromMinutes(1),
        ["Dapr:RequestTimeout"] = TimeSpan.FromHours(1),
        ["Intake:MaxFutureSkew"] = Intake.IntakeOptionsValidator.MaxFutureSkewLimit,
        ["Plugins:CallTimeout"] = Agents.Plugins.PluginOptions.MaxCallTimeout,
        ["Webhooks:RequestTimeout"] = Webhooks.WebhookOptions.MaxRequestTimeout,
        ["Webhooks:RetryBaseDelay"] = TimeSpan.FromHours(1),
        ["Webhooks:PollInterval"] = TimeSpan.FromHours(1),
        ["Webhooks:SecretOverlap"] = Webhooks.WebhookOptions.MaxSecretOverlap,
        ["Webhooks:DisableAfter"] = Webhooks.WebhookOptions.MaxDisableAfter,
        ["Auth:Jwt:MaxLifetime"] = Access.JwtOptions.MaxMaxLifetime,
        ["Knowledge:Embeddings:Timeout"] = TimeSpan.FromMinutes(10),
        ["Knowledge:Qdrant:Timeout"] = TimeSpan.FromMinutes(10),
        ["Models:Chat:Timeout"] = Knowledge.Chat.ChatModelOptions.MaxTimeout,
        ["Models:Chat:BreakDuration"] = TimeSpan.FromDays(1),
        ["Audit:BackgroundVerifyDelay"] = Audit.AuditOptions.MaxBackgroundVerifyDelay,
    };

    public static readonly TimeSpan DefaultMaxTime = TimeSpan.FromDays(1);

    /// <summary>Settings that hold secrets: a refusal names them but never shows their value (it goes to the log).</summary>
    private static readonly HashSet<string> Secrets = new(StringComparer.OrdinalIgnoreCase)
    {
        "Auth:Jwt:SymmetricKeys", "Dapr:ApiToken", "Dapr:AppApiToken", "Knowledge:Embeddings:ApiKey", "Knowledge:Qdrant:ApiKey", "Models:Chat:ApiKey",
    };

    /// <summary>A refused value as a message shows it: quoted, or for a secret only that it is one.</summary>
    private static string Shown(string path, string value) => Secrets.Contains(path) ? "a value (not shown: a secret)" : $"'{value}'";

    /// <summary>Directory settings that may be left out but not set empty.</summary>
    private const string StorageDirectory = "Storage:DataDirectory";
    private const string KnowledgeDirectory = "Knowledge:DataDirectory";
    private static readonly string[] Directories = [StorageDirectory, KnowledgeDirectory];

    /// <summary>
    /// Text settings that may be left out but not set empty (<c>Auth__Jwt__RoleClaim=</c>), and their defaults: empty, every JWT
    /// was refused for lacking a '' claim, and every document had no language.
    /// </summary>
    private static readonly IReadOnlyDictionary<string, string> NonEmptyTexts = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["Auth:Jwt:RoleClaim"] = Access.JwtOptions.DefaultRoleClaim,
        ["Auth:Jwt:NameClaim"] = Access.JwtOptions.DefaultNameClaim,
        ["Knowledge:DefaultDocumentLanguage"] = Knowledge.Options.KnowledgeOptions.DefaultLanguage,
    };

    /// <summary>What a date setting looks like (Intake:Earliest).</summary>
    public const string DateForm = "a date such as 2020-01-01 or 2020-01-01T00:00:00Z (UTC unless an offset is given)";

    /// <summary>Throws <see cref="OptionsValidationException"/> listing every problem, one sentence each naming the key.</summary>
    public static void ThrowIfInvalid(IConfiguration configuration)
    {
        var problems = Check(configuration);
        if (problems.Count > 0)
            throw new OptionsValidationException("configuration", typeof(SettingsChecker), problems);
    }

    public static IReadOnlyList<string> Check(IConfiguration configuration)
    {
        var problems = new List<string>();
        foreach (var (path, type) in Sections)
        {
            var section = configuration.GetSection(path);
            if (section.Value is not null || section.GetChildren().Any())
                CheckNode(configuration, section, path, type, problems);
        }
        foreach (var parent in Parents)
        {
            var section = configuration.GetSection(parent);
            if (section.Value is not null)
                problems.Add($"{parent}: '{section.Value}' is not valid; it takes a section of settings ({string.Join(", ", Owned(parent))}).");
            foreach (var child in section.GetChildren().Where(c => !Sections.Any(s => string.Equals(s.Path, c.Path, StringComparison.OrdinalIgnoreCase))))
                problems.Add(Unknown(child.Path, Owned(parent)));
        }
        foreach (var key in Directories)
            if (configuration[key] is { } value && string.IsNullOrWhiteSpace(value))
                problems.Add(key == StorageDirectory
                    // The CLI's --data sets it (`--data ''`): named as the other data directory messages name it.
                    ? $"{key} (--data): an empty value is not valid; it takes a folder path (leave --data and the setting out for the default)."
                    : $"{key}: an empty value is not valid; it takes a folder path (leave the setting out for the default).");
        // Storage:DataDirectory's own validator tells a file in its way; the knowledge one is told the same, before anything is
        // created (else agentcrm.db was made first, and the start failed saying the file "already exists").
        if (configuration[KnowledgeDirectory] is { } knowledge && !string.IsNullOrWhiteSpace(knowledge)
            && Storage.StorageOptionsValidator.FileInTheWay(knowledge) is ({ } full, { } file))
            problems.Add($"{KnowledgeDirectory}: {(full == file ? "" : $"cannot create the knowledge directory {full}: ")}{file} is a file, not a directory; "
                + "choose a directory, or a path where one can be created (leave the setting out to keep the knowledge files in the data directory).");
        foreach (var (key, defaultValue) in NonEmptyTexts)
            if (configuration[key] is { } text && string.IsNullOrWhiteSpace(text))
                problems.Add($"{key}: an empty value is not valid; it takes a text value (leave the setting out for the default, '{defaultValue}').");
        return problems;
    }

    private static void CheckNode(IConfiguration root, IConfigurationSection node, string path, Type type, List<string> problems)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        var children = node.GetChildren().ToList();
        if (IsDictionary(type))
            return;
        if (ElementType(type) is { } element)
        {
            if (node.Value is { Length: > 0 } listValue)
                problems.Add($"{path}: {Shown(path, listValue)} is not valid; it takes a list ({path}:0, {path}:1, …).");
            foreach (var child in children)
            {
                if (!int.TryParse(child.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                    problems.Add($"{child.Path}: not valid; {path} is a list, its entries are {path}:0, {path}:1, ….");
                else
                    CheckNode(root, child, child.Path, element, problems);
            }
            return;
        }
        if (IsScalar(type))
        {
            if (children.Count > 0)
                problems.Add($"{path}: a {(IsList(children) ? "list" : "section")} is not valid here; it takes {Takes(path, type)}.");
            else if (node.Value is { } value)
                CheckValue(root, path, value, type, problems);
            return;
        }
        // A section of settings: an options type's properties.
        var properties = Settable(type);
        // A value or a list where a section is expected (one source's "Intake": 5 beside another's "Intake": { … }).
        if (node.Value is { Length: > 0 } scalar)
        {
            problems.Add($"{path}: '{scalar}' is not valid; it takes a section of settings ({string.Join(", ", properties.Select(p => path + ":" + p.Name))}).");
            return;
        }
        if (children.Any(c => int.TryParse(c.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
        {
            problems.Add($"{path}: a list is not valid here; it takes a section of settings ({string.Join(", ", properties.Select(p => path + ":" + p.Name))}).");
            return;
        }
        foreach (var child in children)
        {
            var property = properties.FirstOrDefault(p => string.Equals(p.Name, child.Key, StringComparison.OrdinalIgnoreCase));
            if (property is not null)
                CheckNode(root, child, child.Path, property.PropertyType, problems);
            else if (Direct.TryGetValue(child.Path, out var directType))
                CheckNode(root, child, child.Path, directType, problems);
            else if (!Sections.Any(s => string.Equals(s.Path, child.Path, StringComparison.OrdinalIgnoreCase)))
                problems.Add(Unknown(child.Path, properties.Select(p => path + ":" + p.Name).Concat(Direct.Keys.Where(k => IsChildOf(k, path))).Concat(Sections.Where(s => IsChildOf(s.Path, path)).Select(s => s.Path))));
        }
    }

    private static void CheckValue(IConfiguration root, string path, string value, Type type, List<string> problems)
    {
        var text = value.Trim();
        if (type.IsEnum)
        {
            // Names only: Enum.Parse (the binder) also takes "2" or "Normal, Full".
            if (!Enum.GetNames(type).Any(n => string.Equals(n, text, StringComparison.OrdinalIgnoreCase)))
                problems.Add($"{path}: '{value}' is not valid; it takes one of {string.Join(", ", Enum.GetNames(type))}.");
        }
        else if (type == typeof(int) || type == typeof(long))
        {
            var (min, max) = type == typeof(int) ? ((BigInteger)int.MinValue, (BigInteger)int.MaxValue) : (long.MinValue, long.MaxValue);
            if (!BigInteger.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
                problems.Add($"{path}: '{value}' is not valid; it takes a whole number.");
            else if (number < min || number > max)
                // Its own rule where it has one on that side ("must be between 1 and 1000"), not the type's range.
                problems.Add(OwnRangeRule.Refusal(root, path, number > max ? max : min)
                    ?? (number > max ? $"{path}: '{value}' is out of range; it takes at most {max}." : $"{path}: '{value}' is out of range; it takes at least {min}."));
        }
        else if (type == typeof(double))
        {
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) || !double.IsFinite(number))
                problems.Add($"{path}: '{value}' is not valid; it takes a number such as 0.5.");
        }
        else if (type == typeof(bool))
        {
            if (!bool.TryParse(text, out _))
                problems.Add($"{path}: '{value}' is not valid; it takes true or false.");
        }
        else if (type == typeof(TimeSpan))
        {
            var max = MaxTime(path);
            if (!TryParseTimeSpan(text, out var span))
                problems.Add(IsBareNumber(text)
                    ? $"{path}: '{value}' is not valid; it takes {BareNumberRefusal}."
                    : $"{path}: '{value}' is not valid; it takes {Takes(path, type)}.");
            else if (span > max)
                problems.Add($"{path}: '{value}' is too long; it takes at most {max:c}.");
        }
        else if (type == typeof(DateTimeOffset))
        {
            if (ParseDate(text) is null)
                problems.Add($"{path}: '{value}' is not valid; it takes {DateForm}.");
        }
    }

    /// <summary>
    /// An options validator's failure as the start tells it, the refused value as configured and quoted as every other refusal
    /// quotes it (a secret's is not shown): a failure that words a rule ("Auth:Burst must be at least 1.") gets "(got '0')";
    /// one that shows the value as the options hold it ("Storage:MaxBatch must be between 1 and 100000 (got 0).", "(got 0,
    /// default 50000)") shows it as configured instead, "(got '0')", so that every line reads alike. A failure that already
    /// quotes its value, or whose key holds no value of its own (a default), is told as it is.
    /// </summary>
    public static string WithRefusedValue(string failure, IConfiguration? configuration)
    {
        var rule = System.Text.RegularExpressions.Regex.Match(failure, @"^(?<key>[A-Za-z]+(?::[A-Za-z]+)+) must ");
        if (!rule.Success || configuration is null)
            return failure;
        var key = rule.Groups["key"].Value;
        if (configuration.GetSection(key) is not { Value: { } value } section || section.GetChildren().Any())
            return failure;
        var shown = Shown(key, value);
        if (!failure.Contains("(got ", StringComparison.Ordinal))
            return $"{failure.TrimEnd().TrimEnd('.')} (got {shown}).";
        // The value as the options hold it, up to what follows it (", default …", ")", "; …"): replaced, once, by the quoted one.
        return UnquotedGot().Replace(failure, _ => "(got " + shown, 1);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\(got (?!')[^,;)]*")]
    private static partial System.Text.RegularExpressions.Regex UnquotedGot();

    /// <summary>
    /// A time-span setting's value: hh:mm:ss or d.hh:mm:ss (or a shorter form with a colon, 00:05), or 0. Not any other bare
    /// number, which <see cref="TimeSpan.TryParse(string, IFormatProvider?, out TimeSpan)"/> reads as days: Intake:MaxFutureSkew=5 meant
    /// as minutes or seconds took events 5 days ahead. The webhook overlap (<c>overlap</c>, <c>--overlap</c>) reads the same.
    /// </summary>
    public static bool TryParseTimeSpan(string? text, out TimeSpan span)
    {
        span = default;
        if (text is null)
            return false;
        text = text.Trim();
        return (text.Contains(':', StringComparison.Ordinal) || text == "0") && TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out span);
    }

    /// <summary>What a time-span setting given a bare number is told it takes.</summary>
    public const string BareNumberRefusal = "a time span hh:mm:ss or d.hh:mm:ss (00:00:30 is 30 seconds, 5.00:00:00 is 5 days); a bare number other than 0 is not read as days";

    private static bool IsBareNumber(string text) => text.TrimStart('+', '-') is { Length: > 0 } digits && digits.All(c => char.IsAsciiDigit(c) || c == '.');

    /// <summary>The longest <paramref name="path"/> may be (<see cref="MaxTimes"/>, else <see cref="DefaultMaxTime"/>).</summary>
    public static TimeSpan MaxTime(string path) => MaxTimes.TryGetValue(path, out var max) ? max : DefaultMaxTime;

    /// <summary>A date setting: ISO 8601, read as UTC when it carries no offset (never the server's time zone). Null when unparseable.</summary>
    /// ISO 8601 only: 01/02/2020 would be January or February depending on who reads it.
    public static DateTimeOffset? ParseDate(string? text) =>
        DateTimeOffset.TryParseExact(text?.Trim(), DateForms, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var date) ? date : null;

    private static readonly string[] DateForms =
        ["yyyy-MM-dd", "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF", "yyyy-MM-dd'T'HH:mmzzz", "yyyy-MM-dd'T'HH:mm:sszzz",
         "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzzz", "yyyy-MM-dd'T'HH:mm'Z'", "yyyy-MM-dd'T'HH:mm:ss'Z'", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'"];

    private static string Takes(string path, Type type) => type switch
    {
        _ when type == typeof(DateTimeOffset) => DateForm,
        _ when type == typeof(string) => "a text value",
        _ => Cli.AgentCrmCli.Takes(type) is var words && words != Cli.AgentCrmCli.OtherForm ? words : "a single value",
    };

    private static string Unknown(string path, IEnumerable<string> known)
    {
        var key = path[(path.LastIndexOf(':') + 1)..];
        var parent = path[..Math.Max(0, path.LastIndexOf(':'))];
        var best = known.Select(k => (Key: k, Distance: EditDistance.Between(key, k[(k.LastIndexOf(':') + 1)..])))
            .OrderBy(k => k.Distance).FirstOrDefault();
        return best.Key is not null && best.Distance <= Math.Max(2, key.Length / 3)
            ? $"{path}: not a setting; did you mean {best.Key}?"
            : $"{path}: not a setting; {parent} has {string.Join(", ", known)}.";
    }

    private static IEnumerable<string> Owned(string parent) => Sections.Where(s => IsChildOf(s.Path, parent)).Select(s => s.Path);

    private static bool IsChildOf(string path, string parent) =>
        path.StartsWith(parent + ":", StringComparison.OrdinalIgnoreCase) && path.IndexOf(':', parent.Length + 1) < 0;

    private static bool IsList(List<IConfigurationSection> children) =>
        children.All(c => int.TryParse(c.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _));

    /// <summary>What the binder sets: public properties with a public setter, and get-only collections it fills.</summary>
    private static List<PropertyInfo> Settable(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0 && (p.SetMethod is { IsPublic: true } || (p.GetMethod is { IsPublic: true } && (IsDictionary(p.PropertyType) || ElementType(p.PropertyType) is not null))))
            .ToList();

    private static bool IsScalar(Type type) =>
        type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(TimeSpan) || type == typeof(DateTimeOffset)
        || type == typeof(DateTime) || type == typeof(Uri) || type == typeof(Guid);

    private static bool IsDictionary(Type type) =>
        type.IsGenericType && type.GetGenericTypeDefinition() is var d && (d == typeof(Dictionary<,>) || d == typeof(IDictionary<,>) || d == typeof(IReadOnlyDictionary<,>))
        || type.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IDictionary<,>));

    private static Type? ElementType(Type type)
    {
        if (type == typeof(string) || IsDictionary(type))
            return null;
        if (type.IsArray)
            return type.GetElementType();
        var enumerable = type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IEnumerable<>)
            ? type
            : type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>));
        return enumerable?.GetGenericArguments()[0];
    }
}
