using System.Diagnostics;

namespace AgentCrm.Runtime.Tests.Cli;

public sealed record CliResult(int ExitCode, string Stdout, string Stderr);

/// <summary>Runs the real `agentcrm` (the built agentcrm.dll beside the tests) as a process.</summary>
public static class CliRunner
{
    public static async Task<CliResult> RunAsync(IEnumerable<string> args, IDictionary<string, string>? environment = null, TimeSpan? timeLimit = null)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "agentcrm.dll"));
        foreach (var a in args)
            info.ArgumentList.Add(a);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>())
            info.Environment[k] = v;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(timeLimit ?? TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return new CliResult(process.ExitCode, await stdout, await stderr);
    }
}
