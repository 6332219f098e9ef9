using System.CommandLine;
using System.CommandLine.Completions;
using System.CommandLine.Parsing;
using System.Globalization;

namespace AgentCrm.Cli;

/// <summary>
/// Every parse error, told in one line that names the command, option or argument and what it takes — never a .NET
/// type name and never the parser's multi-line lists. The one place usage errors are worded; the verbs' own
/// validators (e.g. --canary's range) add their message, which is kept as is.
/// </summary>
internal static class ParseErrors
{
    /// <summary>The line for the first problem of <paramref name="result"/> (which has errors), and the command it is about.</summary>
    public static (string Message, string Command) Describe(ParseResult result)
    {
        var command = result.CommandResult;
        var path = CommandPath(command);
        // An option given without its value, before another option: the parser took that option's name for the value, and
        // the other option's value was then "one too many" (`--canary --data DIR`, qa42d #3).
        if (OptionTakingAnOptionName(command) is var (taken, name))
            return ($"{taken.Name} needs a value ('{name}' is an option, not its value): {Takes(taken.ValueType, taken) ?? taken.Description}", path);
        // A token the parser could not place explains the rest ("Required command was not provided" after an unknown verb).
        if (result.UnmatchedTokens.Count > 0)
            return (Unmatched(result.UnmatchedTokens[0], command.Command, path, result), path);
        var error = result.Errors[0];
        var message = error.SymbolResult switch
        {
            OptionResult option => OptionProblem(option, error.Message),
            ArgumentResult { Parent: OptionResult option } => OptionProblem(option, error.Message),
            ArgumentResult argument => ArgumentProblem(argument.Argument, argument.Tokens, path, error.Message),
            _ => CommandProblem(result, command.Command, path) ?? OneLine(error.Message),
        };
        return (message, path);
    }

    private static string Unmatched(string token, Command command, string path, ParseResult result)
    {
        if (token.Length > 1 && token.StartsWith('-'))
        {
            var options = OptionsOf(result.CommandResult).ToList();
            var names = options.SelectMany(o => o.Aliases.Prepend(o.Name)).Where(n => n.StartsWith('-'));
            return $"'{token}' is not an option of '{path}'{DidYouMean(token, names)}; its options: {string.Join(", ", options.Select(o => o.Name))}";
        }
        var arguments = command.Arguments.Where(a => !a.Hidden).ToList();
        var argumentsGiven = arguments.All(a => result.GetResult(a) is { Tokens.Count: > 0 });
        var subcommands = command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name).ToList();
        if (subcommands.Count > 0 && argumentsGiven)
            return $"'{token}' is not a command of '{path}'{DidYouMean(token, subcommands)}; use one of {string.Join(", ", subcommands)}";
        return arguments.Count == 0
            ? $"'{path}' takes no argument; '{token}' is unexpected"
            : $"'{path}' takes {string.Join(" ", arguments.Select(a => a.Name))}; '{token}' is one too many";
    }

    /// <summary>" (did you mean X?)" for the known name closest to a mistyped one (at most 2 edits, fewer than its length); else "".</summary>
    internal static string DidYouMean(string token, IEnumerable<string> known) =>
        Agents.Text.EditDistance.Closest(token, known) is { } best ? $" (did you mean {best}?)" : "";

    /// <summary>The command a parse result is about, as typed ("agentcrm agents evaluate"): whose --help a usage error points to.</summary>
    internal static string CommandPath(ParseResult result) => CommandPath(result.CommandResult);

    private static string OptionProblem(OptionResult result, string parserMessage)
    {
        var (option, tokens) = (result.Option, result.Tokens);
        var takes = Takes(option.ValueType, option);
        if (result.IdentifierTokenCount == 0 && option.Required)
            return $"{option.Name} is required: {takes ?? option.Description}";
        if (tokens.Count == 0)
            return option.Arity.MinimumNumberOfValues > 0
                ? $"{option.Name} needs a value: {takes ?? option.Description}"
                : Named(option.Name, parserMessage);
        return ValueProblem(option.Name, option.ValueType, option, tokens, takes) ?? Named(option.Name, parserMessage);
    }

    private static string ArgumentProblem(Argument argument, IReadOnlyList<Token> tokens, string path, string parserMessage)
    {
        var takes = Takes(argument.ValueType, argument);
        if (tokens.Count == 0)
            return $"'{path}' needs {argument.Name}: {takes ?? argument.Description}";
        return ValueProblem(argument.Name, argument.ValueType, argument, tokens, takes) ?? Named(argument.Name, parserMessage);
    }

    /// <summary>A value that is not of the option's type, or not one of its allowed values; null when the value itself is fine.</summary>
    private static string? ValueProblem(string name, Type valueType, Symbol symbol, IReadOnlyList<Token> tokens, string? takes)
    {
        var type = ElementType(valueType);
        foreach (var token in tokens)
            if (!Converts(token.Value, type))
                return $"{name}: '{token.Value}' is not valid; it takes {takes}";
        // A closed list (AcceptOnlyFromAmong, enums): a value outside it is the error the parser reported.
        var allowed = AllowedValues(symbol);
        if (allowed.Count > 0 && tokens.FirstOrDefault(t => !allowed.Contains(t.Value, StringComparer.OrdinalIgnoreCase)) is { } outside)
            return $"{name}: '{outside.Value}' is not valid; it takes {takes}";
        return null;
    }

    /// <summary>What a missing required option, argument or subcommand of the command is; null when it is none of those.</summary>
    private static string? CommandProblem(ParseResult result, Command command, string path)
    {
        if (command.Options.FirstOrDefault(o => o.Required && result.GetResult(o) is null or { Implicit: true }) is { } option)
            return $"{option.Name} is required: {Takes(option.ValueType, option) ?? option.Description}";
        if (command.Arguments.FirstOrDefault(a => a.Arity.MinimumNumberOfValues > 0 && (result.GetResult(a)?.Tokens.Count ?? 0) < a.Arity.MinimumNumberOfValues) is { } argument)
            return $"'{path}' needs {argument.Name}: {Takes(argument.ValueType, argument) ?? argument.Description}";
        if (command.Action is null && command.Subcommands.Count > 0)
            return $"'{path}' needs a command: one of {string.Join(", ", command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name))}";
        return null;
    }

    /// <summary>What a value of <paramref name="valueType"/> looks like, in words; null for free text (the description says it).</summary>
    private static string? Takes(Type valueType, Symbol symbol)
    {
        var allowed = AllowedValues(symbol);
        if (allowed.Count > 0 && ElementType(valueType) != typeof(bool))
            return "one of " + string.Join(", ", allowed);
        return AgentCrmCli.Takes(ElementType(valueType)) is { } words && words != AgentCrmCli.OtherForm ? words : null;
    }

    /// <summary>The values a closed option or argument accepts (its completions: AcceptOnlyFromAmong's list, an enum's names).</summary>
    private static List<string> AllowedValues(Symbol symbol)
    {
        var completions = symbol switch
        {
            Option o => o.GetCompletions(CompletionContext.Empty),
            Argument a => a.GetCompletions(CompletionContext.Empty),
            _ => [],
        };
        return completions.Select(c => c.Label).ToList();
    }

    private static Type ElementType(Type type)
    {
        if (type != typeof(string) && type.IsArray)
            type = type.GetElementType()!;
        else if (type.IsGenericType && type.GetGenericTypeDefinition() is var d && (d == typeof(List<>) || d == typeof(IEnumerable<>) || d == typeof(IReadOnlyList<>)))
            type = type.GetGenericArguments()[0];
        return Nullable.GetUnderlyingType(type) ?? type;
    }

    private static bool Converts(string value, Type type)
    {
        var c = CultureInfo.InvariantCulture;
        return type switch
        {
            _ when type == typeof(int) => int.TryParse(value, NumberStyles.Integer, c, out _),
            _ when type == typeof(long) => long.TryParse(value, NumberStyles.Integer, c, out _),
            _ when type == typeof(double) || type == typeof(float) || type == typeof(decimal) => double.TryParse(value, NumberStyles.Float, c, out _),
            _ when type == typeof(bool) => bool.TryParse(value, out _),
            _ when type == typeof(TimeSpan) => TimeSpan.TryParse(value, c, out _),
            _ when type == typeof(Uri) => Uri.TryCreate(value, UriKind.RelativeOrAbsolute, out _),
            // An empty path is the one the parser refuses (naming System.IO.FileInfo); any other is checked by the verb.
            _ when type == typeof(FileInfo) || type == typeof(DirectoryInfo) => value.Length > 0,
            { IsEnum: true } => Enum.TryParse(type, value, ignoreCase: true, out _),
            _ => true,
        };
    }

    /// <summary>
    /// Whether an option was given without its value before another option, whose name the parser took for the value: an
    /// error even when the parse has none (`agents list --data --json` ran on a new data directory named "--json").
    /// </summary>
    public static bool OptionWithoutValue(ParseResult result) => OptionTakingAnOptionName(result.CommandResult) is not null;

    /// <summary>An option of the command (or a recursive one of its parents) whose value the parser took from the name of an option the command accepts, and that name.</summary>
    private static (Option Option, string Name)? OptionTakingAnOptionName(CommandResult command)
    {
        // Long names only: a value equal to a short alias (help's "-h", "/h", "-?") may be meant ("/h" is a path on Linux).
        var names = OptionsOf(command).SelectMany(o => o.Aliases.Prepend(o.Name)).Where(n => n.StartsWith("--", StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);
        for (SymbolResult? r = command; r is not null; r = r.Parent)
            if (r is CommandResult c)
                foreach (var option in c.Children.OfType<OptionResult>())
                    if (option.Tokens.FirstOrDefault(t => names.Contains(t.Value)) is { } token)
                        return (option.Option, token.Value);
        return null;
    }

    /// <summary>The options a command accepts: its own and its ancestors' recursive ones (--data, --json, --help).</summary>
    private static IEnumerable<Option> OptionsOf(CommandResult command)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (SymbolResult? r = command; r is not null; r = r.Parent)
            if (r is CommandResult c)
                foreach (var o in c.Command.Options.Where(o => !o.Hidden && (ReferenceEquals(c, command) || o.Recursive)))
                    if (seen.Add(o.Name))
                        yield return o;
    }

    private static string CommandPath(CommandResult command)
    {
        var names = new List<string>();
        for (SymbolResult? r = command; r is not null; r = r.Parent)
            if (r is CommandResult c)
                names.Add(c.Parent is null ? "agentcrm" : c.Command.Name);
        names.Reverse();
        return string.Join(" ", names);
    }

    /// <summary>A validator's message, prefixed with the symbol's name unless it names it already.</summary>
    private static string Named(string name, string message) =>
        message.Contains(name, StringComparison.Ordinal) ? OneLine(message) : $"{name}: {OneLine(message)}";

    private static string OneLine(string message) =>
        string.Join(" ", message.Split(['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
