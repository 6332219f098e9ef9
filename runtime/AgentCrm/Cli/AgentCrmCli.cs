using System.CommandLine;
using AgentCrm.Agents;

namespace AgentCrm.Cli;

/// <summary>
/// The `agentcrm` command line (CLI contract in API.md): `serve` is the default verb; every other verb
/// works on the data directory directly. Exit codes: 0 success, 1 failure, 2 usage error.
/// </summary>
public static class AgentCrmCli
{
    /// <summary>
    /// --data, for every verb (no default value of its own: without it, Storage:DataDirectory applies, ./data unless set).
    /// Its description is <see cref="DataDescription"/>, or bench's, which runs in a folder of its own inside it.
    /// </summary>
    public static readonly Option<string> Data = new("--data") { Description = DataDescription, Recursive = true };

    private const string DataDescription = "Data directory (default: the Storage:DataDirectory setting, ./data unless set).";

    // Once per process: an empty --data names no folder, a usage error (exit 2) before anything is opened, not the storage
    // settings' refusal of an empty Storage:DataDirectory (exit 1).
    static AgentCrmCli() =>
        ValueRules.Add(Data, value => string.IsNullOrWhiteSpace(value) ? "it takes a folder path (leave --data out for the Storage:DataDirectory setting)" : null);
    public static readonly Option<bool> Json = new("--json") { Description = "Machine-readable output on stdout.", Recursive = true };

    /// <summary>
    /// What --json prints with: camelCase, indented, and enums by name (camelCase) as the HTTP API writes them; text as it
    /// is (<c>+00:00</c>, names in any script) rather than \u escapes, which are for JSON inside HTML, not a terminal or a pipe.
    /// </summary>
    internal static readonly System.Text.Json.JsonSerializerOptions JsonOutput = new(System.Text.Json.JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.CamelCase) },
    };

    public static async Task<int> RunAsync(string[] args)
    {
        // Per run: a run in the same process (tests) must not tell an earlier run's interruption.
        Volatile.Write(ref _kept, null);
        Volatile.Write(ref _finishing, 0);
        StartedDirectory = null;
        var root = new RootCommand("AgentCrm: scenario agents that turn CRM signals into briefs for customer-success managers.");
        root.Options.Add(Data);
        root.Options.Add(Json);
        var serve = ServeCommand.Create();
        foreach (var option in serve.Options)
            root.Options.Add(option);
        root.SetAction((parse, ct) => ServeCommand.RunAsync(parse, ct));
        root.Subcommands.Add(serve);
        root.Subcommands.Add(AgentsCommand.Create());
        root.Subcommands.Add(CasesCommand.Create());
        root.Subcommands.Add(KnowledgeCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(KeysCommand.Create());
        root.Subcommands.Add(CsmsCommand.Create());
        root.Subcommands.Add(WebhooksCommand.Create());
        root.Subcommands.Add(AuditCommand.Create());
        root.Subcommands.Add(BackupCommand.Create());

        // No response files: an argument starting with '@' (a search for "@acme", a mistyped version) is that text, not a file to read.
        var result = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        // One --data for every verb, so `agentcrm --data D verb` works; bench's help and messages say what it is there.
        Data.Description = result.CommandResult.Command.Name == "bench" ? Bench.BenchData.OptionDescription : DataDescription;
        if (result.Errors.Count > 0 || ParseErrors.OptionWithoutValue(result))
        {
            var (message, command) = ParseErrors.Describe(result);
            return Usage(message, command);
        }
        // SIGTERM or Ctrl+C. The server: System.CommandLine cancels the command's token once the command is running (from
        // its first await), and the host drains; noted here to tell that cancellation from a failure. Before (while the server
        // is still being built, nothing written yet), nothing handles the signal and the runtime ends the process (exit 143):
        // the line is written here. Another verb: the signal is ours from the start (System.CommandLine's own handler was not
        // there while a verb ran synchronous work, and the runtime ended it silently): its token is cancelled, and a verb
        // that has not stopped within VerbStopTimeout is left (its writes are transactions: none is half-done).
        var serving = result.CommandResult.Command is RootCommand || result.CommandResult.Command.Name == "serve";
        string? stopSignal = null;
        var commandHandlesSignals = false;
        var told = 0;
        var signals = 0;
        using var interrupt = new CancellationTokenSource();
        var abandoned = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        void TellStopped()
        {
            if (Interlocked.Exchange(ref told, 1) == 0)
                Console.Error.WriteLine(serving ? $"agentcrm: stopped by {stopSignal} during start-up." : $"agentcrm: interrupted by {stopSignal}; {Volatile.Read(ref _kept) ?? Interrupted(result.CommandResult.Command)}.");
        }
        int SignalExitCode() => 128 + (stopSignal == "SIGTERM" ? 15 : 2);
        void OnSignal(System.Runtime.InteropServices.PosixSignalContext context)
        {
            // Each signal's handler runs on a thread of its own: which one came first is decided once.
            var again = Interlocked.Increment(ref signals) > 1;
            Interlocked.CompareExchange(ref stopSignal, context.Signal == System.Runtime.InteropServices.PosixSignal.SIGTERM ? "SIGTERM" : "SIGINT", null);
            if (!serving && again)
            {
                // A second signal ends the verb whatever it is doing, even while it stores its work (which may take minutes).
                context.Cancel = true;
                if (Volatile.Read(ref _finishing) == 1)
                    Volatile.Write(ref _kept, "a second signal left it while it was storing its work: see `agents list` and `cases list` for what was stored");
                abandoned.TrySetResult(SignalExitCode());
            }
            else if (!serving)
            {
                context.Cancel = true;
                try
                {
                    interrupt.Cancel();
                }
                catch (ObjectDisposedException)
                {
                    // The verb ended meanwhile.
                }
                catch (AggregateException)
                {
                    // A callback of the verb's token threw: on this signal thread it would end the process with a crash;
                    // the verb is stopping either way.
                }
                // A verb between Finishing and Kept is waited for: leaving it then would leave its work half-done.
                _ = Task.Run(async () =>
                {
                    await Task.Delay(VerbStopTimeout);
                    while (Volatile.Read(ref _finishing) == 1)
                        await Task.Delay(100);
                    abandoned.TrySetResult(SignalExitCode());
                });
            }
            else if (!Volatile.Read(ref commandHandlesSignals))
                TellStopped();
        }
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, OnSignal);
        using var sigint = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, OnSignal);
        try
        {
            var invocation = serving
                ? result.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false })
                // Off the main thread: a verb blocked in synchronous work (a file that never finishes arriving) must not keep
                // the process from ending once VerbStopTimeout has passed.
                : Task.Run(() => result.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null }, interrupt.Token));
            Volatile.Write(ref commandHandlesSignals, true);
            var code = serving ? await invocation : await await Task.WhenAny(invocation, abandoned.Task);
            // A verb the signal stopped (or one that ended with 130/143 of its own): told in one line.
            if (stopSignal is not null && !serving && (abandoned.Task.IsCompleted || code is (130 or 143)))
            {
                TellStopped();
                return SignalExitCode();
            }
            return code;
        }
        catch (Exception ex) when (stopSignal is not null && (ex is OperationCanceledException || ex is AggregateException a && a.InnerExceptions.All(e => e is OperationCanceledException)))
        {
            // Stopped before the command finished. The server stopped during start-up does so cleanly (what it had written
            // is committed; the next start carries on), as it does once started: exit 0. Another command was interrupted.
            TellStopped();
            return serving ? 0 : SignalExitCode();
        }
        catch (Exception) when (stopSignal is not null && !serving)
        {
            // A verb that stopped on the cancelled token with another exception than OperationCanceledException (one wrapped).
            TellStopped();
            return SignalExitCode();
        }
        catch (Storage.DatabaseFileException ex)
        {
            return Fail(ex.Message);
        }
        catch (Microsoft.Data.Sqlite.SqliteException ex)
        {
            // The data directory's files (not writable, damaged, a full disk), named with the cause in plain words.
            return Fail(Storage.SqliteDatabase.DescribeFailure(ex));
        }
        catch (Exception ex) when (IsToldByItsMessage(ex))
        {
            return Fail(ex.Message);
        }
        catch (AggregateException ex) when (ex.InnerExceptions.All(e => e is Microsoft.Extensions.Options.OptionsValidationException))
        {
            // Distinct: an options type validated on start by two registrations (Storage) would tell each problem twice.
            return Fail(InvalidConfiguration(ex.InnerExceptions.SelectMany(e => ((Microsoft.Extensions.Options.OptionsValidationException)e).Failures), result));
        }
        catch (Microsoft.Extensions.Options.OptionsValidationException ex)
        {
            return Fail(InvalidConfiguration(ex.Failures, result));
        }
        catch (InvalidDataException ex) when (ex.Message.StartsWith("Failed to load configuration from file", StringComparison.Ordinal))
        {
            // appsettings.json that is not JSON, is empty, or repeats a key: the file and the reason (line and position).
            return Fail("invalid configuration: " + ConfigurationProblems.OfFile(ex));
        }
        catch (InvalidOperationException ex) when (ConfigurationProblems.OfValue(ex) is { } problem)
        {
            return Fail("invalid configuration: " + problem);
        }
        catch (Exception ex)
        {
            // Never a stack trace to the user: the message, and the exception type for a bug report.
            return Fail($"{ex.Message} ({ex.GetType().Name})");
        }
    }

    /// <summary>The line for settings the options validators refused: each failure once, with the value it refused (<see cref="Server.SettingsChecker.WithRefusedValue"/>).</summary>
    private static string InvalidConfiguration(IEnumerable<string> failures, ParseResult parse)
    {
        var configuration = CliHost.ConfigurationAsGiven(parse);
        return "invalid configuration: " + string.Join(" ", failures.Distinct().Select(f => Server.SettingsChecker.WithRefusedValue(f, configuration)));
    }

    /// <summary>A failure whose message says it all to the user, in one line (the verb was refused, or a file named was wrong).</summary>
    internal static bool IsToldByItsMessage(Exception ex) =>
        ex is ManifestException or AgentNotFoundException or AgentConflictException or IOException or UnauthorizedAccessException
            or Sandbox.GateRefusedException or Sandbox.CaseSetNotFoundException or Sandbox.CaseSetConflictException or Sandbox.CaseSetScenarioException or AgentCrm.Sandbox.Cases.CaseSetException
            or Knowledge.Ingest.KnowledgeInputException or Knowledge.Ingest.KnowledgeIngestIncompleteException or Access.ApiKeyException
            or Server.DataDirectoryInUseException;

    /// <summary>How long a verb other than serve has to stop after SIGINT or SIGTERM before the process ends without it.</summary>
    private static readonly TimeSpan VerbStopTimeout = TimeSpan.FromSeconds(5);

    private static int _finishing;
    private static string? _kept;

    /// <summary>
    /// Called by a verb once stopping it would leave its work half-done (a fit has registered its version and now writes its
    /// report, whatever the token says): a signal is then not acted on before <see cref="Kept"/>, so the process never ends
    /// between the version and its report.
    /// </summary>
    internal static void Finishing() => Volatile.Write(ref _finishing, 1);

    /// <summary>The verb's work is stored: a signal from now on ends it saying <paramref name="whatIsKept"/> (not that nothing was).</summary>
    internal static void Kept(string whatIsKept)
    {
        Volatile.Write(ref _kept, whatIsKept);
        Volatile.Write(ref _finishing, 0);
    }

    /// <summary>What an interrupted verb left behind, for the line that tells the interruption.</summary>
    private static string Interrupted(Command command) => command.Name switch
    {
        "evaluate" => "no report was stored",
        "fit" => "no version was registered",
        "ingest" => "nothing was ingested",
        "backup" => "the backup folder is incomplete: throw it away and take the backup again",
        "add" when command.Parents.OfType<Command>().Any(c => c.Name == "cases") => "the case set was not added",
        _ => "what it had written before is kept, nothing half-written",
    };

    /// <summary>What <see cref="Takes"/> says of a type it has no words for.</summary>
    internal const string OtherForm = "a value of another form";

    /// <summary>What a value of <paramref name="type"/> looks like, in words (a setting's or an option's): never the .NET type name.</summary>
    internal static string Takes(Type? type) => type switch
    {
        { IsEnum: true } => "one of " + string.Join(", ", Enum.GetNames(type)),
        _ when type == typeof(TimeSpan) => "a time span such as 00:00:30 (hh:mm:ss)",
        _ when type == typeof(bool) => "true or false",
        _ when type == typeof(int) || type == typeof(long) => "a whole number",
        _ when type == typeof(double) || type == typeof(float) || type == typeof(decimal) => "a number",
        _ when type == typeof(Uri) => "an absolute URL",
        _ when type == typeof(FileInfo) => "a file path",
        _ when type == typeof(DirectoryInfo) => "a folder path",
        _ => OtherForm,
    };

    /// <summary>A usage error (the parser's, or options that go together or exclude each other): one line, exit 2.</summary>
    /// <param name="message">What is wrong, naming the option or argument.</param>
    /// <param name="command">The command whose help to point at (default: agentcrm's).</param>
    public static int Usage(string message, string command = "agentcrm")
    {
        Console.Error.WriteLine($"agentcrm: {message.ReplaceLineEndings(" ")} (see {command} --help)");
        return 2;
    }

    /// <summary>The data directory this run's verb started (it held no agentcrm.db), or null: a failure there says so.</summary>
    internal static string? StartedDirectory
    {
        get => Volatile.Read(ref _startedDirectory);
        set => Volatile.Write(ref _startedDirectory, value);
    }

    private static string? _startedDirectory;

    public static int Fail(string message)
    {
        if (StartedDirectory is { } started)
            message = $"{message.TrimEnd()} (there was no agentcrm.db in {started}: is --data right? A new data directory was started there.)";
        // A message may quote a file's content (a CSV cell, a label): printed as the text report prints case-file names.
        Console.Error.WriteLine($"agentcrm: {Sandbox.Reports.ReportText.Printable(message.ReplaceLineEndings(" "))}");
        return 1;
    }

    /// <summary>
    /// Why a file an option names (--out, --html) could not be written, or null: checked before the verb's work, so a fit does
    /// not register a version (nor an evaluation store a report) and then fail on the file it was to write.
    /// </summary>
    internal static string? OutputFileProblem(FileInfo? file, string option) => file switch
    {
        null => null,
        _ when Directory.Exists(file.FullName) => $"{option}: {file.FullName} is a folder; give a file path",
        _ when !Directory.Exists(file.DirectoryName) => $"{option}: no such folder: {file.DirectoryName}",
        _ => null,
    };

    /// <summary>The SQLite files of a database (<c>agentcrm.db</c> and its write-ahead log, shared memory and rollback journal).</summary>
    private static readonly string[] DatabaseFileSuffixes = ["", "-wal", "-shm", "-journal"];

    /// <summary>
    /// Why a file an option names (--out, --html, --cases-out) must not be written at all, as a usage error, or null: one of the
    /// data or knowledge directory's databases (writing it destroys what the verb has just stored, and every verb after it
    /// fails), one of the verb's own <paramref name="inputs"/>, or the file another of its <paramref name="outputs"/> writes.
    /// Compared as full paths with symbolic links resolved; checked before anything is opened, as <see cref="OutputFileProblem"/> is.
    /// </summary>
    internal static string? OutputTargetProblem(ParseResult parse, (FileInfo? File, string Option)[] outputs, params (FileInfo? File, string Name)[] inputs)
    {
        if (outputs.All(o => o.File is null))
            return null;
        var database = CliHost.DatabasePath(parse);
        var dataDirectory = Path.GetDirectoryName(database)!;
        var knowledge = CliHost.KnowledgeDirectory(parse);
        string[] databases = [Path.GetFileName(database), .. Knowledge.Options.KnowledgeOptions.FileNames];
        var kept = new[] { (Folder: dataDirectory, Name: "data directory"), (Folder: knowledge, Name: "knowledge directory") }
            .SelectMany(d => databases.SelectMany(name => DatabaseFileSuffixes.Select(suffix =>
                (Path: RealPath(Path.Combine(d.Folder, name + suffix)), What: $"{name + suffix} of the {d.Name} ({d.Folder})"))))
            .ToList();
        var written = new List<(string Path, string Option)>();
        foreach (var (file, option) in outputs)
        {
            if (file is null)
                continue;
            var target = RealPath(file.FullName);
            if (kept.FirstOrDefault(k => k.Path == target) is { What: { } databaseFile })
                return $"{option}: {file.FullName} is {databaseFile}: writing it would destroy the database; give another file";
            if (inputs.FirstOrDefault(i => i.File is not null && RealPath(i.File.FullName) == target) is { Name: { } input })
                return $"{option}: {file.FullName} is the file {input} reads; give another file to write";
            if (written.FirstOrDefault(w => w.Path == target) is { Option: { } other })
                return $"{option}: {file.FullName} is the file {other} writes; give each its own file";
            written.Add((target, option));
        }
        return null;
    }

    /// <summary>
    /// <paramref name="path"/> made full with every symbolic link along it resolved (the file itself too, when it is one), so two
    /// names of one file compare equal; a part that is not there yet is kept as it is.
    /// </summary>
    internal static string RealPath(string path)
    {
        var full = Path.GetFullPath(path);
        var root = Path.GetPathRoot(full)!;
        var resolved = root;
        foreach (var part in full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            var next = Path.Combine(resolved, part);
            FileSystemInfo entry = Directory.Exists(next) ? new DirectoryInfo(next) : new FileInfo(next);
            try
            {
                if (entry.LinkTarget is not null && entry.ResolveLinkTarget(returnFinalTarget: true) is { } target)
                    next = RealPath(target.FullName);
            }
            catch (IOException)
            {
                // A loop of links: kept as named.
            }
            resolved = next;
        }
        return resolved;
    }

    /// <summary>--data overrides Storage:DataDirectory only when given, so the setting and its environment variable still work.</summary>
    public static IDictionary<string, string?> StorageOverrides(ParseResult parse) =>
        parse.GetResult(Data) is { Implicit: false }
            ? new Dictionary<string, string?> { ["Storage:DataDirectory"] = parse.GetValue(Data) }
            : new Dictionary<string, string?>();
}
