using AgentCrm.Agents.Pipeline;

namespace AgentCrm.Agents.Plugins;

/// <summary>
/// A plugin's failure, with the plugin's exception type and message; what the plugin threw is the inner exception, so the log
/// shows the plugin's own frames. It refers into the plugin's load context only while it is handled (logged, counted): nothing
/// keeps it.
/// </summary>
public sealed class PluginFailedException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Runs a plugin's <c>Assess</c> on a plugin thread with a time limit, counted from when a thread starts the call (the wait
/// for a free thread is bounded by the same limit, and a call that got none is never run). A call past the limit is reported as a
/// <see cref="TimeoutException"/> (the pipeline counts it as an error); the call itself cannot be
/// aborted and finishes in the background, or never. At most <c>maxHung</c> calls of a version run or wait for a thread at
/// once (<see cref="PluginVersionCalls.Slots"/>): any running call may be one that never returns, so that is the most threads
/// a version can ever tie up; once <c>maxHung</c> calls are still running past their limit, further calls fail at once
/// instead of waiting for a place none will give back. The counts are the version's (<paramref name="calls"/>, shared by every
/// instance of it: each sandbox job makes its own), not the instance's.
/// Results are copied so nothing of the plugin's own types outlives the call (the load context must be collectible after unregister).
/// </summary>
internal sealed class TimeLimitedAgent(IAgent inner, AgentManifest manifest, TimeSpan timeout, int maxHung, PluginVersionCalls? calls = null) : IAgent
{
    private readonly PluginVersionCalls _calls = calls ?? new PluginVersionCalls(maxHung);

    /// <summary>The registered manifest (what the consent gate and the briefs go by), whatever the plugin's agent reports.</summary>
    public AgentManifest Manifest { get; } = manifest;

    public int HungCalls => Volatile.Read(ref _calls.Hung);

    public Assessment Assess(CustomerSnapshot snapshot)
    {
        if (Volatile.Read(ref _calls.Hung) >= maxHung)
            throw new PluginFailedException($"{Manifest.Id}@{Manifest.Version}: {maxHung} earlier calls are still running past the {timeout.TotalMilliseconds:0} ms limit; not called.");
        // A slot of the version's share of the plugin threads, waited for within the limit (a fast version's slots free in
        // microseconds; a slow one's callers wait here, not on threads the other versions need). Checking the hung count alone
        // let every caller that came while no call had yet run past its limit start one: 6 threads spun for a limit of 4 (qa30d).
        var waitedFrom = System.Diagnostics.Stopwatch.GetTimestamp();
        if (!_calls.Slots.Wait(timeout))
            throw new TimeoutException($"{Manifest.Id}@{Manifest.Version} was not called: {_calls.Places} calls of this version were running or waiting for a plugin thread for {timeout.TotalMilliseconds:0} ms.");
        var slots = _calls.Slots;
        var state = new CallState();
        PluginCall<Assessment> queued;
        try
        {
            // The answer is checked and copied on the plugin's thread, within its time: reading it runs plugin code too (a
            // reason value's ToString, its own list types).
            queued = PluginThreads.Start(() =>
            {
                try
                {
                    return CopyOf(inner.Assess(snapshot));
                }
                finally
                {
                    // Here on the plugin thread, not in a continuation: callers block on pool threads (actor turns), and a
                    // slot or a hung count waiting for the pool to run its continuation starved the very calls it held up.
                    slots.Release();
                    if (Interlocked.Exchange(ref state.Value, CallState.Done) == CallState.Hung)
                        Interlocked.Decrement(ref _calls.Hung);
                }
            }, Manifest, snapshot.CustomerId);
        }
        catch
        {
            _calls.Slots.Release();
            throw;
        }
        // The limit counts from the moment a plugin thread runs the call: waiting while other versions' slow calls hold every
        // thread is not this version's fault (it is neither timed out nor counted as hung), and is bounded by the limit too.
        // One wait in all for a slot and a thread: the caller (an actor turn) is held at most the limit before the call starts.
        var left = timeout - System.Diagnostics.Stopwatch.GetElapsedTime(waitedFrom);
        if (!queued.WaitStarted(left > TimeSpan.Zero ? left : TimeSpan.Zero))
        {
            _calls.Slots.Release();
            throw new TimeoutException($"{Manifest.Id}@{Manifest.Version} was not called: no plugin thread was free within {timeout.TotalMilliseconds:0} ms (other plugin calls held all {PluginThreads.MaxThreads}).");
        }
        // The slot is the version's until the call ends, answered in time or not.
        var call = queued.Answer;
        bool finished;
        try
        {
            finished = call.Wait(timeout);
            if (!finished)
            {
                Interlocked.Increment(ref _calls.Hung);
                // It may have ended just as the wait ran out: then it is answered, not hung.
                if (Interlocked.CompareExchange(ref state.Value, CallState.Hung, CallState.Running) != CallState.Running)
                {
                    Interlocked.Decrement(ref _calls.Hung);
                    finished = call.Wait(Timeout.Infinite);
                }
                else
                    queued.MarkPastLimit();
            }
        }
        catch (AggregateException ex) when (ex.InnerException is { } e)
        {
            if (e is ManifestException or PluginFailedException)
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e);
            throw new PluginFailedException($"{e.GetType().FullName}: {e.Message}", e);
        }
        if (!finished)
            throw new TimeoutException($"{Manifest.Id}@{Manifest.Version} did not answer within {timeout.TotalMilliseconds:0} ms.");
        return call.Result;
    }

    private Assessment CopyOf(Assessment? a)
    {
        if (a is null)
            throw new PluginFailedException($"{Manifest.Id}@{Manifest.Version} returned no assessment.");
        // The contract's range: a score past it would be stored in briefs and replayed reports as it came.
        if (a.Score is not (>= 0 and <= 1))
            throw new PluginFailedException($"{Manifest.Id}@{Manifest.Version} returned the score {a.Score}, outside [0, 1].");
        // An answer is stored in a brief, its audit record and replayed reports: one past these sizes (a 5 MB next step,
        // 100,000 reasons) is the plugin's failure, not 37 MB of database.
        var reasons = a.Reasons ?? [];
        if (reasons.Count > MaxReasons)
            throw Oversized($"{reasons.Count} reasons (at most {MaxReasons})");
        var findings = a.Findings ?? [];
        if (findings.Count > MaxReasons)
            throw Oversized($"{findings.Count} findings (at most {MaxReasons})");
        // A null reason is kept as null: the pipeline refuses it by its place in the list, as for every kind (a null finding too).
        return new Assessment(a.Score, a.Fired, reasons.Select(r => r is null ? null! : Copy(r)).ToList(), Text(a.NextStep, "nextStep"))
        {
            Headline = Text(a.Headline, "headline"),
            FindingKey = Text(a.FindingKey, "findingKey"),
            Findings = findings.Select(f => f is null ? null! : new Finding(f.Key is null ? null! : Text(f.Key, "finding's key"), f.Score) { CooldownDays = f.CooldownDays }).ToList(),
        };
    }

    /// <summary>The most reasons a plugin's assessment may give.</summary>
    public const int MaxReasons = 100;

    /// <summary>The longest text a plugin's assessment may give (headline, next step, finding key, a reason's field, explanation, event id); a reason's value is cut to it (by the pipeline, for every kind).</summary>
    public const int MaxText = AnswerCheck.MaxValueText;

    /// <summary>The most event ids one reason may cite.</summary>
    public const int MaxEventIds = 100;

    private string Text(string? text, string name) =>
        text is { Length: > MaxText } ? throw Oversized($"a {name} of {text.Length} characters (at most {MaxText})") : text ?? "";

    private PluginFailedException Oversized(string what) => new($"{Manifest.Id}@{Manifest.Version} returned {what}.");

    private Reason Copy(Reason r)
    {
        if (!double.IsFinite(r.Weight))
            throw Oversized($"a reason weight of {r.Weight} (a finite number)");
        var eventIds = r.EventIds ?? [];
        if (eventIds.Count > MaxEventIds)
            throw Oversized($"a reason citing {eventIds.Count} events (at most {MaxEventIds})");
        object? value = r.Value switch
        {
            null => null,
            double d when !double.IsFinite(d) => throw Oversized($"a reason value of {d} (a finite number)"),
            double or bool => r.Value,
            char c => c.ToString(),
            // A reason's value may echo the field it read (the built-in agents do), and a document's text has up to
            // 200,000 characters: cut by the pipeline (AnswerCheck), not refused.
            string text => text,
            IConvertible c when r.Value.GetType().IsPrimitive => c.ToDouble(System.Globalization.CultureInfo.InvariantCulture) is var n && double.IsFinite(n)
                ? n : throw Oversized($"a reason value of {n} (a finite number)"),
            // Its text, read here on the plugin's thread (ToString is plugin code), then cut like any other.
            _ => r.Value.ToString(),
        };
        return new(Text(r.Field, "reason field"), value, r.Weight, eventIds.Select(id => Text(id, "event id")).ToList(), Text(r.Explanation, "reason explanation"));
    }
}

/// <summary>One plugin version's calls, shared by every instance of it: those past the limit still running, and its slots.</summary>
internal sealed class PluginVersionCalls(int maxHung)
{
    /// <summary>The most calls of one version running or waiting for a plugin thread at once: a quarter of the threads.</summary>
    public const int MaxInFlight = PluginThreads.MaxThreads / 4;

    public int Hung;

    /// <summary>How many calls of the version may run or wait for a thread at once: its hung-call limit, within a quarter of the threads.</summary>
    public int Places { get; } = Math.Clamp(maxHung, 1, MaxInFlight);

    /// <summary>
    /// A place per call, given back on the plugin thread when the call ends, so a hung call keeps its place: the version never
    /// ties up more than <see cref="Places"/> threads, however many callers come before any call has run past its limit.
    /// </summary>
    public SemaphoreSlim Slots { get; } = new(Math.Clamp(maxHung, 1, MaxInFlight), Math.Clamp(maxHung, 1, MaxInFlight));
}

/// <summary>Where one call is: running, done, or left running past its limit (hung); moved once each way, by compare-and-swap.</summary>
internal sealed class CallState
{
    public const int Running = 0, Done = 1, Hung = 2;

    public int Value;
}
