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
    private static readonly BlockingCollection<Action> Queue = new();
    private static int _threads;
    private static int _idle;

    /// <summary>Threads started so far.</summary>
    public static int Threads => Math.Min(Volatile.Read(ref _threads), MaxThreads);

    public static Task<T> Run<T>(Func<T> work)
    {
        var answer = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        Queue.Add(() =>
        {
            T result = default!;
            Exception? error = null;
            try
            {
                result = work();
            }
            catch (Exception ex)
            {
                error = ex;
            }
            // Idle again before the caller hears back, so its next call finds this thread instead of starting one.
            Interlocked.Increment(ref _idle);
            if (error is null)
                answer.SetResult(result);
            else
                answer.SetException(error);
        });
        if (Volatile.Read(ref _idle) == 0)
        {
            if (Interlocked.Increment(ref _threads) <= MaxThreads)
                new Thread(Loop) { IsBackground = true, Name = "agentcrm-plugin" }.Start();
            else
                Interlocked.Decrement(ref _threads);
        }
        return answer.Task;
    }

    private static void Loop()
    {
        Interlocked.Increment(ref _idle);
        while (true)
            RunOne();
    }

    /// <summary>One call per frame: a waiting thread must not keep the last call (and its plugin's load context) reachable.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void RunOne()
    {
        var work = Queue.Take();
        Interlocked.Decrement(ref _idle);
        work();
    }
}
