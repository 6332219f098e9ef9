using System.Diagnostics;
using System.Text.Json;
using AgentCrm.Cli;
using AgentCrm.Sandbox;

namespace AgentCrm.Runtime.Tests.Cli;

/// <summary>
/// On a terminal a fit shows its stages on stderr, --json or not (the JSON alone on stdout); with --json the bars were off
/// even on a terminal, and the loading stage, which counts nothing, showed a full bar at 0/0 (qa28).
/// </summary>
public sealed class ProgressOnATerminalCliTests
{
    [Fact]
    public async Task Fit_JsonWithStderrOnATerminal_ShowsTheStagesOnStderr_AndTheJsonAloneOnStdout()
    {
        // `script` (util-linux) gives the process a terminal; without it there is no terminal to test on.
        if (!File.Exists("/usr/bin/script"))
            return;
        var dir = TempDirectory.Create();
        var (csv, mapping) = await CasesAsync(dir);
        Assert.Equal(0, (await CliRunner.RunAsync(["cases", "add", "fit-bars", csv, "--mapping", mapping, "--data", dir])).ExitCode);
        var json = Path.Combine(dir, "fit.json");
        var command = $"dotnet '{Path.Combine(AppContext.BaseDirectory, "agentcrm.dll")}' agents fit renewal-risk --cases fit-bars --data '{dir}' --json > '{json}'";
        var info = new ProcessStartInfo("/usr/bin/script") { RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in new[] { "-qec", command, "/dev/null" })
            info.ArgumentList.Add(a);

        using var process = Process.Start(info)!;
        process.StandardInput.Close();
        var terminal = await process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(timeout.Token);

        Assert.True(process.ExitCode == 0, terminal);
        Assert.Contains("fitting          [##############################] 100%  25/25", terminal, StringComparison.Ordinal);
        Assert.Contains("evaluating       [##############################] 100%  60/60", terminal, StringComparison.Ordinal);
        Assert.DoesNotContain("0/0", terminal, StringComparison.Ordinal);
        Assert.Equal("renewal-risk@1.1.0", JsonDocument.Parse(await File.ReadAllTextAsync(json)).RootElement.GetProperty("agent").GetString());
    }

    [Fact]
    public void StageProgressBars_AStageThatCountsNothing_ShowsItsNameAlone()
    {
        using var output = new StringWriter();
        var bars = new StageProgressBars(output);

        bars.Report(new JobProgress(JobProgress.Queued, 0, 0));
        bars.Report(new JobProgress(JobProgress.Loading, 0, 0));
        bars.Report(new JobProgress(JobProgress.Fitting, 1, 2));
        bars.Report(new JobProgress(JobProgress.Fitting, 2, 2));
        bars.Done();

        Assert.Equal($"\rloading\n\rfitting          [###############...............]  50%  1/2\rfitting          [##############################] 100%  2/2\n".Replace("\n", Environment.NewLine, StringComparison.Ordinal),
            output.ToString());
    }

    /// <summary>200 customers, short tenure and low NPS churning, with some noise: a fit takes seconds.</summary>
    private static async Task<(string Csv, string Mapping)> CasesAsync(string dir)
    {
        var rows = Enumerable.Range(0, 200).Select(i =>
        {
            var churned = i % 4 == 0;
            var noisy = i % 25 == 1;
            return $"c{i},{(churned ^ noisy ? 2 + i % 7 : 20 + i % 30)},{(churned ^ noisy ? i % 4 : 7 + i % 4)},{(churned ? 1 : 0)}";
        });
        var csv = Path.Combine(dir, "cases.csv");
        await File.WriteAllTextAsync(csv, "id,tenure,nps,churned\n" + string.Join("\n", rows) + "\n");
        var mapping = Path.Combine(dir, "mapping.yaml");
        await File.WriteAllTextAsync(mapping, """
            name: fit-bars
            id: id
            label: { column: churned, positive: "1" }
            fields:
              - { column: tenure, field: tenure.months, type: number }
              - { column: nps, field: nps.latest, type: number }
            """);
        return (csv, mapping);
    }
}
