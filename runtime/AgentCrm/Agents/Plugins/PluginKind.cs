using System.Collections.Concurrent;
using System.Reflection;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace AgentCrm.Agents.Plugins;

/// <summary>
/// The <c>plugin</c> kind: the agent is an <see cref="IAgentKind"/> inside an uploaded assembly, named by
/// <c>parameters.assembly</c> (its SHA-256, so the version's content hash covers the bytes) and, when the
/// assembly holds several kinds, <c>parameters.kind</c>. One collectible load context per assembly, shared
/// by the versions that use it and unloaded once none of them is live or waiting for promotion
/// (<see cref="Retain"/>, called by the registry after every change).
/// </summary>
public sealed partial class PluginKind : IAgentKind, IRetainingKind, INewManifestCheck
{
    public const string KindName = "plugin";
    private readonly Lock _lock = new();
    private readonly Dictionary<string, PluginLoadContext> _contexts = new(StringComparer.Ordinal);

    // Contexts unloaded and not yet collected, watched without keeping them (the load-contexts gauge counts them).
    private readonly List<WeakReference> _unloading = [];

    // Calls still running past their limit, per version (id, version), across every instance of it.
    private readonly ConcurrentDictionary<(string Id, string Version), PluginVersionCalls> _hung = new();

    // The plugin threads code run at registration (constructors, Name, Create) may hold, whatever it is registered as: each
    // upload of a Create that never returns kept a thread for good, until all 64 were stuck and every plugin's calls
    // failed (qa42b #1). Its hung calls are counted as the uploaded version's too, so agentcrm_plugin_calls_hung shows them.
    private readonly PluginVersionCalls _registration;
    private readonly PluginStore _store;
    private readonly IOptions<PluginOptions> _options;
    private readonly ILogger<PluginKind> _logger;

    public PluginKind(PluginStore store, IOptions<PluginOptions> options, ILogger<PluginKind> logger, IHostApplicationLifetime? lifetime = null)
    {
        _store = store;
        _options = options;
        _logger = logger;
        _registration = new PluginVersionCalls(options.Value.MaxHungCalls);
        // The log this server's plugins are named in if the process ends inside one of their calls (not once it is stopping).
        PluginExitLog.Attach(logger, store.DataDirectory, lifetime?.ApplicationStopping ?? CancellationToken.None);
    }

    public string Name => KindName;

    public AgentManifest? BuiltIn => null;

    public static string HashOf(byte[] bytes) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>The hashes whose load context is loaded now.</summary>
    public IReadOnlyList<string> Loaded
    {
        get
        {
            lock (_lock)
                return _contexts.Keys.ToList();
        }
    }

    public IAgent Create(AgentManifest manifest) => Create(manifest, registering: false);

    /// <summary>A manifest being registered (<c>POST /v1/agents</c>, or the upload's own registration): its plugin code runs in registration's places, as an upload's does.</summary>
    public void CheckNew(AgentManifest manifest) => Create(manifest, registering: true);

    private TimeLimitedAgent Create(AgentManifest manifest, bool registering)
    {
        var hash = AssemblyHash(manifest);
        var context = Context(hash, () => _store.Load(hash) ?? throw new ManifestException("parameters.assembly", $"No plugin assembly {hash} is stored; upload it with POST /v1/agents/plugins."));
        return Instantiate(context, manifest, registering);
    }

    /// <summary>Loads <paramref name="bytes"/> (before they are stored) and creates the agent, so a bad upload is refused with its reason.</summary>
    public IAgent Create(AgentManifest manifest, byte[] bytes)
    {
        var context = Context(AssemblyHash(manifest), () => bytes);
        RequireReferences(context);
        return Instantiate(context, manifest, registering: true);
    }

    /// <summary>
    /// The contract the upload references must be of the server's major version (<see cref="PluginContract"/>), and every
    /// assembly it references must resolve here: one that does not would register and then fail on every call, so it is
    /// refused at upload. Resolvable is all it checks of other assemblies (an assembly the server ships resolves too; only
    /// the contract and the framework are supported). Versions already stored are not checked again.
    /// </summary>
    private static void RequireReferences(PluginLoadContext context)
    {
        var assembly = context.Assemblies.Single();
        AssemblyName[] references;
        try
        {
            references = assembly.GetReferencedAssemblies();
        }
        catch (Exception ex) when (Damaged(ex))
        {
            throw new ManifestException("assembly", $"The assembly's references cannot be read (it is damaged): {ex.GetType().Name}: {OneLine(ex.Message)}");
        }
        if (PluginContract.Mismatch(assembly.GetName(), references) is { } mismatch)
            throw new ManifestException("assembly", mismatch);
        foreach (var reference in references)
        {
            try
            {
                context.LoadFromAssemblyName(reference);
            }
            catch (Exception ex) when (Damaged(ex))
            {
                throw new ManifestException("assembly", $"{assembly.GetName().Name} references {reference.Name} {reference.Version}, which the server does not have: plugins may depend only on AgentCrm.Agents.Contract and the framework (one assembly).");
            }
        }
    }

    /// <summary>Load contexts loaded now, and unloaded ones not yet collected (something still refers into them, or no full GC has run since).</summary>
    public (int Loaded, int Unloading) LoadContexts()
    {
        lock (_lock)
        {
            _unloading.RemoveAll(w => !w.IsAlive);
            return (_contexts.Count, _unloading.Count);
        }
    }

    /// <summary>Calls past their limit still running, per version that has had one.</summary>
    public IEnumerable<(string Id, string Version, int Hung)> HungCalls() =>
        _hung.Select(v => (v.Key.Id, v.Key.Version, Volatile.Read(ref v.Value.Hung)));

    /// <summary>
    /// Unloads every context no version in <paramref name="inUse"/> refers to, and forgets the hung-call count of every version
    /// not in it that has no call running (else each version ever created kept a 0 series in the metrics for good).
    /// </summary>
    public void Retain(IEnumerable<AgentManifest> inUse)
    {
        var plugins = inUse.Where(m => m.Kind == KindName).ToList();
        var versions = plugins.Select(m => (m.Id, m.Version)).ToHashSet();
        // Under the lock a hung call is counted in (Count), so a count is never made on a counter dropped meanwhile.
        lock (_lock)
        {
            foreach (var (version, calls) in _hung)
                if (!versions.Contains(version) && Volatile.Read(ref calls.Hung) == 0 && calls.Slots.CurrentCount == calls.Places)
                    _hung.TryRemove(new KeyValuePair<(string, string), PluginVersionCalls>(version, calls));
        }
        var keep = plugins.Where(m => m.Parameters.TryGetValue("assembly", out _)).Select(AssemblyHash).ToHashSet(StringComparer.Ordinal);
        List<PluginLoadContext> unload;
        lock (_lock)
        {
            unload = _contexts.Where(c => !keep.Contains(c.Key)).Select(c => c.Value).ToList();
            foreach (var c in unload)
                _contexts.Remove(c.Hash);
        }
        foreach (var c in unload)
        {
            // Unloading completes when nothing references the context any more (calls in flight finish first).
            Unload(c);
            LogUnloaded(c.Hash);
        }
    }

    private void Unload(PluginLoadContext context)
    {
        context.Unload();
        lock (_lock)
            _unloading.Add(new WeakReference(context));
    }

    /// <summary>A weak reference to the load context of <paramref name="hash"/>, to watch it being collected.</summary>
    internal WeakReference? Watch(string hash)
    {
        lock (_lock)
            return _contexts.TryGetValue(hash, out var c) ? new WeakReference(c) : null;
    }

    private static string AssemblyHash(AgentManifest manifest)
    {
        if (!manifest.Parameters.TryGetValue("assembly", out var a) || a.ValueKind != JsonValueKind.String || a.GetString() is not { Length: 71 } hash || !hash.StartsWith("sha256:", StringComparison.Ordinal))
            throw new ManifestException("parameters.assembly", "parameters.assembly must be the sha256:… hash of an uploaded plugin assembly (POST /v1/agents/plugins sets it).");
        return hash;
    }

    private PluginLoadContext Context(string hash, Func<byte[]> bytes)
    {
        lock (_lock)
        {
            if (_contexts.TryGetValue(hash, out var existing))
                return existing;
            var data = bytes();
            if (HashOf(data) != hash)
                throw new ManifestException("parameters.assembly", $"The stored assembly does not hash to {hash}.");
            var context = new PluginLoadContext(hash);
            try
            {
                using var stream = new MemoryStream(data, writable: false);
                context.LoadFromStream(stream);
            }
            catch (BadImageFormatException ex)
            {
                Unload(context);
                throw new ManifestException("assembly", $"Not a .NET assembly: {ex.Message}");
            }
            catch (Exception ex) when (Damaged(ex))
            {
                // A .NET assembly whose metadata is damaged (an invalid public key is a SecurityException): the upload's fault.
                Unload(context);
                throw new ManifestException("assembly", $"The assembly cannot be loaded (it is damaged): {ex.GetType().Name}: {OneLine(ex.Message)}");
            }
            _contexts[hash] = context;
            LogLoaded(hash);
            return context;
        }
    }

    /// <summary>
    /// Creates the agent, running the plugin's code (its kinds' constructors, Name, Create) on plugin threads: a version
    /// <paramref name="registering"/> (an upload, a manifest registered) in registration's places, which every registration
    /// shares, a stored version's (loaded to run, or for a sandbox job) in its own, as its calls are — so registrations whose
    /// Create hangs tie up no more threads than that, and cannot keep a version that passed registration from running.
    /// </summary>
    private TimeLimitedAgent Instantiate(PluginLoadContext context, AgentManifest manifest, bool registering)
    {
        var assembly = context.Assemblies.Single();
        Type[] types;
        try
        {
            types = assembly.GetExportedTypes();
        }
        catch (Exception ex) when (Damaged(ex))
        {
            throw new ManifestException("assembly", $"The assembly's types cannot be loaded (plugins may depend only on AgentCrm.Agents.Contract and the framework): {OneLine(ex.Message)}");
        }
        var kinds = types.Where(t => typeof(IAgentKind).IsAssignableFrom(t) && t is { IsClass: true, IsAbstract: false } && t.GetConstructor(Type.EmptyTypes) is not null).ToList();
        if (kinds.Count == 0)
            throw new ManifestException("assembly", $"{assembly.GetName().Name} has no public IAgentKind class with a parameterless constructor (compiled against AgentCrm.Agents.Contract {typeof(IAgentKind).Assembly.GetName().Version}?).");
        var wanted = manifest.Parameters.TryGetValue("kind", out var k) && k.ValueKind == JsonValueKind.String ? k.GetString() : null;
        // Names are plugin code too: read under the same limit as the constructors.
        var places = registering ? _registration : VersionCalls(manifest);
        var candidates = Bounded(manifest, places, () => kinds.Select(t => (IAgentKind)Activator.CreateInstance(t)!).Select(k => (Kind: k, k.Name)).ToList(), "constructing its kinds");
        var (kind, name) = wanted is null
            ? candidates.Count == 1 ? candidates[0] : throw new ManifestException("parameters.kind", $"The assembly holds several kinds; name one: {string.Join(", ", candidates.Select(c => c.Name))}.")
            : candidates.FirstOrDefault(c => c.Name == wanted) is { Kind: not null } found ? found : throw new ManifestException("parameters.kind", $"The assembly has no kind '{wanted}'; it has {string.Join(", ", candidates.Select(c => c.Name))}.");
        var agent = Bounded(manifest, places, () => kind.Create(manifest), $"{name}.Create")
            ?? throw new ManifestException("assembly", $"{name}.Create returned no agent.");
        // The registered manifest, not the one the plugin's agent reports: the consent gate passes the fields it reads.
        return new TimeLimitedAgent(agent, manifest, _options.Value.CallTimeout, _options.Value.MaxHungCalls,
            VersionCalls(manifest));
    }

    /// <summary>
    /// Plugin code run to create an agent gets the same time limit as a call, and one of <paramref name="places"/> on the
    /// plugin threads (registration's for an upload, the version's own for a stored version): a call that never returns keeps
    /// its place, so that code never ties up more threads than that, and once every place is held by such calls it is not run
    /// at all, at once. A call past its limit is counted as the version's hung call. Its failures become manifest errors, with
    /// the plugin's own exception (not the reflection wrapper a constructor's comes in).
    /// </summary>
    private T Bounded<T>(AgentManifest manifest, PluginVersionCalls places, Func<T> work, string what)
    {
        var timeout = _options.Value.CallTimeout;
        var registering = ReferenceEquals(places, _registration);
        string Held(int hung) => $"the {places.Places} plugin threads {(registering ? "code run at registration" : $"{manifest.Id}@{manifest.Version}")} may use were all busy"
            + (hung > 0 ? $" ({hung} of them held by calls still running past their limit, which only a restart frees: see agentcrm_plugin_calls_hung)." : $" for {timeout.TotalMilliseconds:0} ms.");
        if (Volatile.Read(ref places.Hung) is var stuck && stuck >= places.Places)
            throw new ManifestException("assembly", $"The plugin was not run while {what}: {Held(stuck)}");
        if (!places.Slots.Wait(timeout))
            throw new ManifestException("assembly", $"The plugin was not run while {what}: {Held(Volatile.Read(ref places.Hung))}");
        var state = new CallState();
        // The version's counter its hung call was counted on (looked up then, not before: Retain may drop an idle version's).
        PluginVersionCalls? counted = null;
        PluginCall<T> call;
        try
        {
            call = PluginThreads.Start(() =>
            {
                try
                {
                    return work();
                }
                finally
                {
                    // On the plugin thread, as for Assess (TimeLimitedAgent): the place and the hung counts are given back when the call ends.
                    places.Slots.Release();
                    if (Interlocked.Exchange(ref state.Value, CallState.Done) == CallState.Hung)
                        Uncount(places, counted!);
                }
            }, manifest, customer: null);
        }
        catch
        {
            places.Slots.Release();
            throw;
        }
        // As for Assess: timed from the start of the call, not from the wait for a thread other plugins' slow calls hold.
        if (!call.WaitStarted(timeout))
        {
            places.Slots.Release();
            throw new ManifestException("assembly", $"The plugin was not run while {what}: no plugin thread was free within {timeout.TotalMilliseconds:0} ms.");
        }
        var task = call.Answer;
        try
        {
            if (!task.Wait(timeout))
            {
                counted = Count(places, manifest);
                if (Interlocked.CompareExchange(ref state.Value, CallState.Hung, CallState.Running) == CallState.Running)
                {
                    call.MarkPastLimit();
                    throw new ManifestException("assembly", $"The plugin did not finish {what} within {timeout.TotalMilliseconds:0} ms.");
                }
                // It ended just as the wait ran out: answered, not hung.
                Uncount(places, counted);
                task.Wait();
            }
            return task.Result;
        }
        catch (AggregateException ex) when (ex.InnerException is { } thrown)
        {
            var e = thrown;
            while (e is TargetInvocationException { InnerException: { } inner })
                e = inner;
            if (e is ManifestException refused)
                throw new ManifestException(refused.Errors);
            throw new ManifestException("assembly", $"The plugin failed while {what}: {e.GetType().Name}: {OneLine(e.Message)}");
        }
    }

    /// <summary>The counts and places of a version, shared by every instance of it (its calls, and creating it).</summary>
    private PluginVersionCalls VersionCalls(AgentManifest manifest) => _hung.GetOrAdd((manifest.Id, manifest.Version), _ => new(_options.Value.MaxHungCalls));

    /// <summary>A call past its limit, counted in <paramref name="places"/> and as its version's (the counter <see cref="HungCalls"/> shows, which <see cref="Retain"/> keeps while it counts one).</summary>
    private PluginVersionCalls Count(PluginVersionCalls places, AgentManifest manifest)
    {
        lock (_lock)
        {
            var version = VersionCalls(manifest);
            Interlocked.Increment(ref version.Hung);
            if (!ReferenceEquals(version, places))
                Interlocked.Increment(ref places.Hung);
            return version;
        }
    }

    private static void Uncount(PluginVersionCalls places, PluginVersionCalls version)
    {
        Interlocked.Decrement(ref version.Hung);
        if (!ReferenceEquals(version, places))
            Interlocked.Decrement(ref places.Hung);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Plugin assembly {Hash} loaded into its own collectible context")]
    private partial void LogLoaded(string hash);

    [LoggerMessage(Level = LogLevel.Information, Message = "Plugin assembly {Hash} unloaded: no registered version uses it")]
    private partial void LogUnloaded(string hash);

    /// <summary>What the loader throws for an assembly it cannot use: damaged metadata or IL, or a reference it cannot resolve.</summary>
    private static bool Damaged(Exception ex) =>
        ex is BadImageFormatException or FileLoadException or FileNotFoundException or TypeLoadException or ReflectionTypeLoadException
            or System.Security.SecurityException;

    /// <summary>A loader's message on one line (a type-load failure lists its loader exceptions on lines of their own).</summary>
    private static string OneLine(string message) => string.Join(" ", message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
