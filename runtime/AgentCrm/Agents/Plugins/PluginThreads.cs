using System.Collections.Concurrent;

namespace AgentCrm.Agents.Plugins;

/// <summary>
/// Dedicated threads for plugin code. Callers wait with a time limit on the answer; running the call on
/// the thread pool instead would let callers that block on pool threads (actor turns, sandbox workers)
/// starve the very work they wait for and report time-outs under load. A thread is added whenever none
/// is idle, up to <see cref="MaxThreads"/> (hung calls keep theirs).
/// </summary>
internal static class PluginThreads
{
    public const int MaxThreads = 64;
    private static readonly BlockingCollection<Action<InFlight>> Queue = new();

    // Each thread's slot, naming the call it runs (for the log when the process ends inside one): threads never end.
    private static readonly ConcurrentQueue<InFlight> Slots = new();
    private static int _threads;
    private static int _idle;

    /// <summary>Threads started so far.</summary>
    public static int Threads => Math.Min(Volatile.Read(ref _threads), MaxThreads);

    /// <summary>Threads waiting for a call.</summary>
    public static int Idle => Volatile.Read(ref _idle);

    /// <summary>The calls plugin threads run now, within their limit (those past it are not: see <see cref="PluginCallSite.PastLimit"/>).</summary>
    public static List<PluginCallSite> Running()
    {
        var running = new List<PluginCallSite>();
        foreach (var slot in Slots)
            if (Volatile.Read(ref slot.Call) is { PastLimit: false } call)
                running.Add(call);
        return running;
    }

    /// <summary>
    /// Queues <paramref name="work"/> for a plugin thread, on behalf of <paramref name="agent"/> (its id and version) and
    /// <paramref name="customer"/> (none while the agent is created): the thread's slot names them while the call runs. The
    /// caller times the call from <see cref="PluginCall{T}.WaitStarted"/> on, so the wait for a free thread (other plugins'
    /// slow calls holding them all) is not charged to this plugin's limit.
    /// </summary>
    public static PluginCall<T> Start<T>(Func<T> work, AgentManifest agent, string? customer)
    {
        var call = new PluginCall<T>(agent.Id, agent.Version, customer);
        var answer = call.Source;
        Queue.Add(slot =>
        {
            if (!call.TryStart())
            {
                // Its caller gave up before a thread was free: never run (the caller already reported it).
                Interlocked.Increment(ref _idle);
                return;
            }
            T result = default!;
            Exception? error = null;
            // Two reference writes a call: what the process-exit log names if the process ends inside it.
            Volatile.Write(ref slot.Call, call);
            try
            {
                result = work();
            }
            catch (Exception ex)
            {
                error = ex;
            }
            Volatile.Write(ref slot.Call, null);
            // Idle again before the caller hears back, so its next call finds this thread instead of starting one.
            Interlocked.Increment(ref _idle);
            if (error is null)
                answer.SetResult(result);
            else
                answer.SetException(error);
        });
        // More calls waiting than threads idle: another thread (a burst of calls that all saw the same idle thread started too few).
        if (Queue.Count > Volatile.Read(ref _idle))
        {
            if (Interlocked.Increment(ref _threads) <= MaxThreads)
                new Thread(Loop) { IsBackground = true, Name = "agentcrm-plugin" }.Start();
            else
                Interlocked.Decrement(ref _threads);
        }
        return call;
    }

    private static void Loop()
    {
        var slot = new InFlight();
        Slots.Enqueue(slot);
        Interlocked.Increment(ref _idle);
        while (true)
            RunOne(slot);
    }

    /// <summary>One call per frame: a waiting thread must not keep the last call (and its plugin's load context) reachable.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void RunOne(InFlight slot)
    {
        var work = Queue.Take();
        Interlocked.Decrement(ref _idle);
        work(slot);
    }

    /// <summary>A plugin thread's slot: the call it runs, or null.</summary>
    internal sealed class InFlight
    {
        public PluginCallSite? Call;
    }
}

/// <summary>
/// Whose call a plugin thread runs: the version and the customer (null while the agent is created), and whether its caller
/// has given up on it (past its limit: hung).
/// </summary>
internal class PluginCallSite(string agentId, string version, string? customer)
{
    private int _pastLimit;

    public string AgentId { get; } = agentId;

    public string Version { get; } = version;

    public string? Customer { get; } = customer;

    /// <summary>True once its caller stopped waiting for it (the call is hung).</summary>
    public bool PastLimit => Volatile.Read(ref _pastLimit) != 0;

    public void MarkPastLimit() => Volatile.Write(ref _pastLimit, 1);
}

/// <summary>A call queued for a plugin thread: started once a thread takes it, or abandoned by its caller before that (then never run).</summary>
internal sealed class PluginCall<T>(string agentId, string version, string? customer) : PluginCallSite(agentId, version, customer)
{
    private const int Queued = 0, Running = 1, Abandoned = 2;
    private readonly ManualResetEventSlim _started = new(false);
    private int _state;

    internal TaskCompletionSource<T> Source { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<T> Answer => Source.Task;

    /// <summary>Waits until a plugin thread runs the call; false when none took it within <paramref name="timeout"/> (the call is then abandoned and never runs).</summary>
    public bool WaitStarted(TimeSpan timeout)
    {
        if (_started.Wait(timeout))
            return true;
        if (Interlocked.CompareExchange(ref _state, Abandoned, Queued) == Queued)
            return false;
        // A thread took it just as the wait ran out.
        _started.Wait();
        return true;
    }

    internal bool TryStart()
    {
        if (Interlocked.CompareExchange(ref _state, Running, Queued) != Queued)
            return false;
        _started.Set();
        return true;
    }
}
