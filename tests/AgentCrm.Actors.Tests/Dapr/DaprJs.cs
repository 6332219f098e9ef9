using System.ComponentModel;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace AgentCrm.Actors.Tests.Dapr;

/// <summary>
/// Runs the test-only Node scripts in tests/AgentCrm.Actors.Tests/dapr-js (Dapr's official JavaScript SDK).
/// Missing node or node_modules is a failure with instructions, never a skip: CI installs them (dapr-js/install.sh).
/// </summary>
internal static class DaprJs
{
    private static readonly SemaphoreSlim InstallLock = new(1, 1);
    private static bool _installed;

    public static string ScriptsDir { get; } = Path.Combine(FindRepoRoot(), "tests", "AgentCrm.Actors.Tests", "dapr-js");

    /// <summary>Runs a script to its end; returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string script, params string[] args)
    {
        using var process = await StartAsync(script, args);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"node {script} did not finish within 60 s");
        }
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Starts a long-running script and waits until it prints "ready"; the caller kills it.</summary>
    public static async Task<Process> StartServerAsync(string script, params string[] args)
    {
        var process = await StartAsync(script, args);
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            string? line;
            try
            {
                line = await process.StandardOutput.ReadLineAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"node {script} did not print 'ready' within 60 s");
            }
            if (line is null)
            {
                var error = await stderr;
                if (error.Contains("EADDRINUSE", StringComparison.Ordinal))
                    throw new PortTakenException(error);
                Assert.Fail($"node {script} exited before it was ready: {error}");
            }
            if (line == "ready")
            {
                _ = DrainAsync(process.StandardOutput);
                return process;
            }
        }
    }

    /// <summary>
    /// Starts a long-running script that listens on the port given as its first argument (a free one) and waits until it
    /// prints "ready". A port picked free is free only until the script binds it: another process may take it first, and the
    /// script is then started again on another port.
    /// </summary>
    public static async Task<(Process Process, int Port)> StartServerOnFreePortAsync(string script, params string[] moreArgs)
    {
        for (var attempt = 1; ; attempt++)
        {
            var port = FreePort();
            try
            {
                return (await StartServerAsync(script, [port.ToString(System.Globalization.CultureInfo.InvariantCulture), .. moreArgs]), port);
            }
            catch (PortTakenException) when (attempt < 3)
            {
            }
        }
    }

    private sealed class PortTakenException(string message) : Exception(message);

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task DrainAsync(StreamReader reader)
    {
        while (await reader.ReadLineAsync() is not null)
        {
        }
    }

    private static async Task<Process> StartAsync(string script, string[] args)
    {
        await EnsureInstalledAsync();
        Assert.True(Directory.Exists(Path.Combine(ScriptsDir, "node_modules", "@dapr", "dapr")),
            $"@dapr/dapr is not installed in {ScriptsDir}. Run tests/AgentCrm.Actors.Tests/dapr-js/install.sh (needs node >= 20 and npm).");
        var start = new ProcessStartInfo("node") { WorkingDirectory = ScriptsDir, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(ScriptsDir, script));
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        try
        {
            return Process.Start(start) ?? throw new InvalidOperationException("Process.Start returned null");
        }
        catch (Win32Exception ex)
        {
            Assert.Fail($"'node' is not on PATH ({ex.Message}). The Dapr differential tests need Node >= 20; install it and run tests/AgentCrm.Actors.Tests/dapr-js/install.sh.");
            throw;
        }
    }

    /// <summary>Runs dapr-js/install.sh once per test run, so `dotnet test` alone works on a fresh clone (npm ci from the registry).</summary>
    private static async Task EnsureInstalledAsync()
    {
        await InstallLock.WaitAsync();
        try
        {
            if (_installed)
                return;
            var install = new ProcessStartInfo("bash") { WorkingDirectory = ScriptsDir, RedirectStandardOutput = true, RedirectStandardError = true };
            install.ArgumentList.Add(Path.Combine(ScriptsDir, "install.sh"));
            using var process = Process.Start(install)!;
            var stderr = process.StandardError.ReadToEndAsync();
            _ = process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
            Assert.True(process.ExitCode == 0, $"tests/AgentCrm.Actors.Tests/dapr-js/install.sh failed (needs node >= 20 and npm): {await stderr}");
            _installed = true;
        }
        finally
        {
            InstallLock.Release();
        }
    }

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "AgentCrm.sln")))
            dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("AgentCrm.sln not found above the test's output folder.");
    }
}
