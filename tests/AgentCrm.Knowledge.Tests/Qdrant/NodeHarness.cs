using System.ComponentModel;
using System.Diagnostics;

namespace AgentCrm.Knowledge.Tests.Qdrant;

/// <summary>
/// Runs the test-only Node scripts in tests/AgentCrm.Knowledge.Tests/qdrant-js. Missing node or node_modules is a
/// test failure with instructions, never a skip: CI must install them (qdrant-js/install.sh).
/// </summary>
internal static class NodeHarness
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string ScriptsDir => Path.Combine(RepoRoot, "tests", "AgentCrm.Knowledge.Tests", "qdrant-js");

    public static string OpenApiPath => Path.Combine(RepoRoot, "tests", "AgentCrm.Knowledge.Tests", "Qdrant", "qdrant-openapi.json");

    private static readonly SemaphoreSlim InstallLock = new(1, 1);
    private static bool _installed;

    /// <summary>Runs qdrant-js/install.sh once per test run, so `dotnet test` alone works on a fresh clone (npm ci from the registry).</summary>
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
            Assert.True(process.ExitCode == 0, $"tests/AgentCrm.Knowledge.Tests/qdrant-js/install.sh failed (needs node >= 20 and npm): {await stderr}");
            _installed = true;
        }
        finally
        {
            InstallLock.Release();
        }
    }

    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string script, params string[] args)
    {
        await EnsureInstalledAsync();
        foreach (var package in new[] { "ajv", "ajv-formats", "@qdrant/js-client-rest" })
        {
            Assert.True(Directory.Exists(Path.Combine(ScriptsDir, "node_modules", package)),
                $"Node package '{package}' is not installed in {ScriptsDir}. Run tests/AgentCrm.Knowledge.Tests/qdrant-js/install.sh (needs node >= 20 and npm) before the Qdrant tests.");
        }
        var start = new ProcessStartInfo("node") { WorkingDirectory = ScriptsDir, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(ScriptsDir, script));
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("Process.Start returned null");
        }
        catch (Win32Exception ex)
        {
            Assert.Fail($"'node' is not on PATH ({ex.Message}). The Qdrant schema and differential tests need Node >= 20; install it and run tests/AgentCrm.Knowledge.Tests/qdrant-js/install.sh.");
            throw;
        }
        using (process)
        {
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
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "AgentCrm.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException($"No AgentCrm.sln above {AppContext.BaseDirectory}");
    }
}
