namespace AgentCrm.Runtime.Tests.Cli;

/// <summary>
/// Values of the wrong form, and options that do not apply to what the command line asks for, are usage errors: exit 2, one
/// line naming the option or argument and what it takes, before the data directory is opened (it is not even created).
/// </summary>
public sealed class WrongFormCliTests
{
    [Theory]
    // agents fit: the version's form (a manifest's), a kind that cannot be fitted, the clause model's options on another kind.
    [InlineData("agents fit renewal-risk --cases iranian-churn --version x", "agentcrm: --version: 'x' is not valid; it takes a version like 1.2.3 or 1.2.3-suffix")]
    [InlineData("agents fit rules --cases iranian-churn", "agentcrm: KIND: 'rules' is not valid; it takes one of compliance-check, renewal-risk, tender-detection")]
    [InlineData("agents fit renewal-risk --cases iranian-churn --cv", "agentcrm: --cv applies only to compliance-check")]
    [InlineData("agents fit tender-detection --cases canada-tenders --spans s.csv --categories a,b", "agentcrm: --spans, --categories apply only to compliance-check (its clause model, on a contract case set such as cuad), not to tender-detection")]
    [InlineData("agents fit compliance-check --cases cuad --categories ,", "agentcrm: --categories: ',' is not valid; it takes clause category names")]
    [InlineData("agents fit renewal-risk --cases Telco|Churn", "agentcrm: --cases: 'Telco Churn' is not valid; a case set name is 1-64 characters")]
    [InlineData("agents evaluate renewal-risk@1.0.1 --cases Telco|Churn", "agentcrm: --cases: 'Telco Churn' is not valid; a case set name is 1-64 characters")]
    // ID@VERSION: a version no manifest can have (it was "has no version 'x'", exit 1, after opening the directory).
    [InlineData("agents evaluate renewal-risk@x --cases telco-churn", "agentcrm: ID@VERSION: 'renewal-risk@x' is not valid; the version after @ looks like 1.2.3 or 1.2.3-suffix.")]
    [InlineData("agents promote renewal-risk@1.0", "agentcrm: ID@VERSION: 'renewal-risk@1.0' is not valid; the version after @ looks like 1.2.3 or 1.2.3-suffix.")]
    // cases: a name that cannot be registered, by its form or a prefix the runtime's own sets have.
    [InlineData("cases add bad|name cases.csv --mapping m.yaml", "agentcrm: NAME: 'bad name' is not valid; a case set name is 1-64 characters: lower-case letters, digits and . _ : -, starting with a letter or digit")]
    [InlineData("cases add feedback:renewal-risk cases.csv --mapping m.yaml", "agentcrm: NAME: 'feedback:renewal-risk' is not valid; names starting with 'feedback:' are reserved")]
    [InlineData("cases add telco-churn:holdout-7 cases.csv --mapping m.yaml", "agentcrm: NAME: 'telco-churn:holdout-7' is not valid; names ending in ':holdout-<seed>' are reserved")]
    [InlineData("cases remove Bad|Name", "agentcrm: NAME: 'Bad Name' is not valid; a case set name is 1-64 characters")]
    // bench: one benchmark at a time; the runtime benchmark's options only with it; its sizes in range.
    [InlineData("bench --replay --knowledge", "agentcrm: --replay, --knowledge: give one benchmark at a time (--replay, --knowledge, --kinds, or none of them for the runtime benchmark)")]
    [InlineData("bench --replay --events 1000", "agentcrm: --events, --data apply only to the runtime benchmark (bench without --replay, --knowledge, --kinds), not to --replay")]
    [InlineData("bench --kinds --sync Normal --in-process", "agentcrm: --sync, --in-process, --data apply only to the runtime benchmark")]
    [InlineData("bench --events 999", "agentcrm: --events: '999' is not valid; it takes a whole number, 1,000 or more")]
    [InlineData("bench --customers 0", "agentcrm: --customers: '0' is not valid; it takes a whole number, 1 or more")]
    [InlineData("bench --warmup -1", "agentcrm: --warmup: '-1' is not valid; it takes a whole number, 0 or more")]
    public async Task Verb_ValueOfTheWrongFormOrAnOptionThatDoesNotApply_IsAUsageErrorNamingIt_NothingOpened(string commandLine, string expected)
    {
        var data = Path.Combine(TempDirectory.Create(), "data");
        // '|' stands for a space inside one argument.
        var args = commandLine.Split(' ').Select(a => a.Replace('|', ' '));

        var result = await CliRunner.RunAsync([.. args, "--data", data]);

        Assert.True(result.ExitCode == 2, $"exit {result.ExitCode}: {result.Stderr}");
        Assert.Single(result.Stderr.Trim().Split('\n'));
        Assert.StartsWith(expected, result.Stderr, StringComparison.Ordinal);
        Assert.Matches(@" \(see agentcrm [a-z ]+ --help\)$", result.Stderr.Trim());
        Assert.Equal("", result.Stdout);
        Assert.False(Directory.Exists(data), "the data directory was created for a command line that was refused");
    }

    [Theory]
    [InlineData("cases add mine FILE --mapping MAPPING", "agentcrm: FILE: no such file: ")]
    [InlineData("cases add mine FILE --labels MAPPING", "agentcrm: FILE: no such file: ")]
    [InlineData("agents evaluate renewal-risk@1.0.1 --cases-file FILE --mapping MAPPING", "agentcrm: --cases-file: no such file: ")]
    [InlineData("agents fit compliance-check --cases cuad --spans FILE", "agentcrm: --spans: no such file: ")]
    public async Task Verb_AFileToReadThatIsNotThere_FailsNamingIt_NothingOpened(string commandLine, string expected)
    {
        var root = TempDirectory.Create();
        var data = Path.Combine(root, "data");
        var missing = Path.Combine(root, "missing.csv");
        var mapping = Path.Combine(root, "m.yaml");
        await File.WriteAllTextAsync(mapping, "");
        var args = commandLine.Split(' ').Select(a => a switch { "FILE" => missing, "MAPPING" => mapping, _ => a });

        var result = await CliRunner.RunAsync([.. args, "--data", data]);

        Assert.True(result.ExitCode == 1, $"exit {result.ExitCode}: {result.Stderr}");
        Assert.Equal(expected + missing, result.Stderr.Trim());
        Assert.False(Directory.Exists(data), "the data directory was created for a file that is not there");
    }

    [Fact]
    public async Task Bench_DataGivenToAnotherBenchmark_IsAUsageError_NotIgnored()
    {
        var dir = TempDirectory.Create();

        var result = await CliRunner.RunAsync(["--data", dir, "bench", "--replay"]);

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("agentcrm: --data applies only to the runtime benchmark", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(dir));
    }
}
