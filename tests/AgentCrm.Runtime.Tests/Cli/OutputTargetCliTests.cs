using System.Security.Cryptography;

namespace AgentCrm.Runtime.Tests.Cli;

/// <summary>
/// --html, --cases-out and --out never write over the data directory's databases nor the verb's own input files: a usage
/// error naming the option, before any work (fix31c: `--html DATA/agentcrm.db` turned the database into HTML).
/// </summary>
public sealed class OutputTargetCliTests
{
    private static string Hash(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    /// <summary>A data directory with its agentcrm.db, made by a quick verb.</summary>
    private static async Task<string> DataDirectoryAsync()
    {
        var dir = TempDirectory.Create();
        var made = await CliRunner.RunAsync(["keys", "create", "--role", "ops", "--name", "ops", "--data", dir]);
        Assert.True(made.ExitCode == 0, made.Stderr);
        return dir;
    }

    [Theory]
    [InlineData("--html", "agentcrm.db")]
    [InlineData("--cases-out", "agentcrm.db")]
    [InlineData("--cases-out", "agentcrm.db-wal")]
    [InlineData("--html", "knowledge-catalog.db")]
    public async Task Evaluate_WritingADatabaseFileOfTheDataDirectory_IsAUsageErrorNamingTheOption_AndTheDatabaseStaysAsItWas(string option, string file)
    {
        var dir = await DataDirectoryAsync();
        var database = Path.Combine(dir, "agentcrm.db");
        var before = Hash(database);

        var result = await CliRunner.RunAsync(["agents", "evaluate", "renewal-risk@1.0.1", "--cases", "telco-churn", option, Path.Combine(dir, file), "--data", dir]);

        Assert.True(result.ExitCode == 2, result.Stderr);
        Assert.StartsWith($"agentcrm: {option}: {Path.Combine(dir, file)} is {file} of the data directory", result.Stderr.Trim(), StringComparison.Ordinal);
        Assert.Single(result.Stderr.Trim().Split('\n'));
        Assert.Equal(before, Hash(database));
        var list = await CliRunner.RunAsync(["agents", "list", "--data", dir]);
        Assert.True(list.ExitCode == 0, list.Stderr);
    }

    [Fact]
    public async Task Evaluate_WithHtmlThroughASymbolicLinkToTheDatabase_IsRefusedAsTheDatabase()
    {
        var dir = await DataDirectoryAsync();
        var database = Path.Combine(dir, "agentcrm.db");
        var before = Hash(database);
        var elsewhere = TempDirectory.Create();
        Directory.CreateSymbolicLink(Path.Combine(elsewhere, "data"), dir);
        var link = Path.Combine(elsewhere, "report.html");
        File.CreateSymbolicLink(link, Path.Combine(elsewhere, "data", "agentcrm.db"));

        var result = await CliRunner.RunAsync(["agents", "evaluate", "renewal-risk@1.0.1", "--cases", "telco-churn", "--html", link, "--data", dir]);

        Assert.True(result.ExitCode == 2, result.Stderr);
        Assert.Contains("--html", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("agentcrm.db of the data directory", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(before, Hash(database));
    }

    [Fact]
    public async Task Fit_WithOutOnTheDatabase_IsAUsageError_RegisteringNothing()
    {
        var dir = await DataDirectoryAsync();
        var database = Path.Combine(dir, "agentcrm.db");
        var before = Hash(database);

        var result = await CliRunner.RunAsync(["agents", "fit", "renewal-risk", "--cases", "telco-churn", "--out", database, "--data", dir]);

        Assert.True(result.ExitCode == 2, result.Stderr);
        Assert.StartsWith($"agentcrm: --out: {database} is agentcrm.db of the data directory", result.Stderr.Trim(), StringComparison.Ordinal);
        Assert.Equal(before, Hash(database));
        var list = await CliRunner.RunAsync(["agents", "list", "--data", dir]);
        Assert.DoesNotContain("renewal-risk@1.1.0", list.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Evaluate_WritingItsOwnInputFiles_IsAUsageErrorNamingBoth_AndTheInputsStayAsTheyWere_NothingCreated()
    {
        var files = TempDirectory.Create();
        var csv = Path.Combine(files, "same.csv");
        var mapping = Path.Combine(files, "m.yaml");
        await File.WriteAllTextAsync(mapping, "scenario: renewal-risk\n");
        await File.WriteAllTextAsync(csv, "customerID,Churn\nc1,Yes\n");
        var (csvBefore, mappingBefore) = (Hash(csv), Hash(mapping));
        var dir = Path.Combine(TempDirectory.Create(), "data");

        var casesOut = await CliRunner.RunAsync(["agents", "evaluate", "renewal-risk@1.0.1", "--cases-file", csv, "--mapping", mapping, "--cases-out", csv, "--data", dir]);
        var html = await CliRunner.RunAsync(["agents", "evaluate", "renewal-risk@1.0.1", "--cases-file", csv, "--mapping", mapping, "--html", mapping, "--data", dir]);
        var both = await CliRunner.RunAsync(["agents", "evaluate", "renewal-risk@1.0.1", "--cases", "telco-churn", "--html", Path.Combine(files, "r"), "--cases-out", Path.Combine(files, "r"), "--data", dir]);

        Assert.Equal((2, $"agentcrm: --cases-out: {csv} is the file --cases-file reads; give another file to write (see agentcrm agents evaluate --help)"), (casesOut.ExitCode, casesOut.Stderr.Trim()));
        Assert.Equal((2, $"agentcrm: --html: {mapping} is the file --mapping reads; give another file to write (see agentcrm agents evaluate --help)"), (html.ExitCode, html.Stderr.Trim()));
        Assert.Equal((2, $"agentcrm: --cases-out: {Path.Combine(files, "r")} is the file --html writes; give each its own file (see agentcrm agents evaluate --help)"), (both.ExitCode, both.Stderr.Trim()));
        Assert.Equal((csvBefore, mappingBefore), (Hash(csv), Hash(mapping)));
        Assert.False(Directory.Exists(dir));
    }
}
