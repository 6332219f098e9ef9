namespace AgentCrm.Agents.Plugins;

/// <summary>
/// Names the plugin calls running when the process exits. A plugin that calls <c>Environment.Exit</c> ends the server from
/// inside its call, and again on every start while its version is live or in shadow (its event is delivered again); nothing
/// else says which agent it was, and the way out (<c>agentcrm agents unregister ID --data DIR</c>) needs the id. Process-exit
/// handlers run on another thread than the one that called <c>Exit</c> (which waits there), so every call a plugin thread runs
/// within its limit is named (<see cref="PluginThreads.Running"/>); a call past its limit is not: its caller stopped waiting
/// long before, so it is not what ended the process, and a server stopped by its operator exits quietly: nothing is logged
/// once the host's ApplicationStopping has fired (an ordinary SIGTERM while a call runs is no plugin's Exit). Subscribed before the
/// host starts (<see cref="Watch"/>), so it runs before the host's own handler, which stops the host and its log with it.
/// </summary>
internal static partial class PluginExitLog
{
    private static ILogger? _logger;
    private static string _dataDirectory = "DIR";
    private static CancellationToken _stopping;

    static PluginExitLog() => AppDomain.CurrentDomain.ProcessExit += OnProcessExit;

    /// <summary>Subscribes (once per process) to the process's exit.</summary>
    public static void Watch()
    {
        // The static constructor subscribed.
    }

    /// <summary>The log and data directory of the server whose plugins these are (the latest built, in a process with several).</summary>
    public static void Attach(ILogger logger, string dataDirectory, CancellationToken stopping)
    {
        _dataDirectory = dataDirectory;
        _stopping = stopping;
        Volatile.Write(ref _logger, logger);
    }

    private static void OnProcessExit(object? sender, EventArgs e)
    {
        if (Volatile.Read(ref _logger) is not { } logger || _stopping.IsCancellationRequested)
            return;
        foreach (var call in PluginThreads.Running())
        {
            try
            {
                LogExitingInCall(logger, call.AgentId, call.Version, call.Customer is { } customer ? $"for customer {customer}" : "creating the agent", _dataDirectory);
            }
            catch (Exception)
            {
                // A host already disposed (its log with it): nothing to write to, and nothing may throw from an exit handler.
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Critical, Message = "The process is exiting while plugin {Agent}@{Version} runs {Call}: did the plugin call Environment.Exit? If the server ends like this again on every start, unregister the agent without the server: agentcrm agents unregister {Agent} --data {DataDirectory}")]
    private static partial void LogExitingInCall(ILogger logger, string agent, string version, string call, string dataDirectory);
}
