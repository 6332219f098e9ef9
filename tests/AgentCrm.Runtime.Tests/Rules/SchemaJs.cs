using System.Diagnostics;

namespace AgentCrm.Runtime.Tests.Rules;

/// <summary>The Node scripts under <c>schema-js</c> (ajv) that check our JSON Schemas and answers, and how tests run them.</summary>
internal static class SchemaJs
{
    /// <summary>Installs the scripts' packages (once per machine: install.sh keeps them) and returns their folder.</summary>
    public static async Task<string> InstallAsync()
    {
        var scripts = Path.Combine(ManifestSchemaTests.RepositoryRoot(), "tests", "AgentCrm.Runtime.Tests", "schema-js");
        var install = await RunAsync("bash", scripts, Path.Combine(scripts, "install.sh"));
        Assert.True(install.ExitCode == 0, $"tests/AgentCrm.Runtime.Tests/schema-js/install.sh failed (needs node >= 20 and npm): {install.Stderr}");
        return scripts;
    }

    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string file, string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
            start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
        return (process.ExitCode, await stdout, await stderr);
    }
}
