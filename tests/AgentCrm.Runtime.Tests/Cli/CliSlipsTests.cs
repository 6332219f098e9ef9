using System.Text.RegularExpressions;

namespace AgentCrm.Runtime.Tests.Cli;

/// <summary>Small slips a QA pass of the CLI found (qa28): each line says what happened, and exits as the CLI table says.</summary>
public sealed class CliSlipsTests
{
    /// <summary>A second unregister said "X unregistered (1 version(s) retired)" though nothing changed.</summary>
    [Fact]
    public async Task Unregister_ASecondTime_SaysNothingChanged_ExitZero()
    {
        var dir = TempDirectory.Create();
        var manifest = await CliTests.NpsWatchManifestAsync(dir);
        Assert.Equal(0, (await CliRunner.RunAsync(["agents", "register", manifest, "--data", dir])).ExitCode);

        var first = await CliRunner.RunAsync(["agents", "unregister", "nps-watch", "--data", dir]);
        var second = await CliRunner.RunAsync(["agents", "unregister", "nps-watch", "--data", dir]);

        Assert.Equal((0, "nps-watch unregistered (1 version retired)"), (first.ExitCode, first.Stdout.Trim()));
        Assert.Equal((0, "nps-watch is already unregistered (nothing changed)"), (second.ExitCode, second.Stdout.Trim()));
    }

    /// <summary>A folder where a file to read goes said "no such file"; it says what it is, as `agents register` does, before anything is opened.</summary>
    [Theory]
    [InlineData("cases add t2 FOLDER --mapping MAPPING", "FILE")]
    [InlineData("cases add t2 CSV --mapping FOLDER", "--mapping")]
    [InlineData("knowledge eval FOLDER", "QUERIES.csv")]
    public async Task Verb_AFolderGivenAsAFileToRead_SaysItIsAFolder_NothingOpened(string commandLine, string name)
    {
        var root = TempDirectory.Create();
        var data = Path.Combine(root, "data");
        var folder = Directory.CreateDirectory(Path.Combine(root, "folder")).FullName;
        var csv = Path.Combine(root, "cases.csv");
        await File.WriteAllTextAsync(csv, "id,churned\na,1\n");
        var args = commandLine.Split(' ').Select(a => a switch { "FOLDER" => folder, "MAPPING" => csv, "CSV" => csv, _ => a });

        var result = await CliRunner.RunAsync([.. args, "--data", data]);

        Assert.True(result.ExitCode == 1, $"exit {result.ExitCode}: {result.Stderr}");
        Assert.Equal($"agentcrm: {name}: is a folder, not a file: {folder}", result.Stderr.Trim());
        Assert.False(Directory.Exists(data), "the data directory was created for a file that is a folder");
    }

    /// <summary>An empty --data was refused by the storage settings (exit 1); it names no folder: a usage error.</summary>
    [Fact]
    public async Task AnyVerb_EmptyData_IsAUsageError()
    {
        var result = await CliRunner.RunAsync(["agents", "list", "--data", ""]);

        Assert.True(result.ExitCode == 2, $"exit {result.ExitCode}: {result.Stderr}");
        Assert.StartsWith("agentcrm: --data: '' is not valid; it takes a folder path", result.Stderr.Trim(), StringComparison.Ordinal);
    }

    /// <summary>The I/O message ran into the next sentence: "No space left on device : '/dev/full' The report was stored as rep_…".</summary>
    [Fact]
    public async Task Evaluate_HtmlOnAFullDisk_EndsTheCauseWithAFullStop_BeforeNamingTheReport()
    {
        if (!File.Exists("/dev/full"))
            return;
        var dir = TempDirectory.Create();
        var manifest = await CliTests.NpsWatchManifestAsync(dir);
        Assert.Equal(0, (await CliRunner.RunAsync(["agents", "register", manifest, "--data", dir])).ExitCode);

        var result = await CliRunner.RunAsync(["agents", "evaluate", "nps-watch@2.0.0", "--cases", "telco-churn", "--html", "/dev/full", "--data", dir]);

        Assert.True(result.ExitCode == 1, $"exit {result.ExitCode}: {result.Stderr}");
        Assert.Matches(new Regex(@"^agentcrm: --html: cannot write /dev/full \([^)]*No space left on device[^)]*\)\. The report was stored as rep_[0-9a-f]+\.$"), result.Stderr.Trim());
    }
}
