using AgentCrm.Runtime.Tests.Server;

namespace AgentCrm.Runtime.Tests.Cli;

/// <summary>A --data that names a file (or a path through one) is told as that, in one line, by the server and every verb.</summary>
public sealed class DataDirectoryIsAFileCliTests
{
    [Fact]
    public async Task DataNamingAFile_IsToldAsAFileNotADirectory_ByAVerbAndByServe_NothingWritten()
    {
        var file = Path.Combine(TempDirectory.Create(), "passwd");
        await File.WriteAllTextAsync(file, "root:x:0:0::/root:/bin/sh\n");

        var keys = await CliRunner.RunAsync(["keys", "list", "--data", file]);
        var serve = await CliRunner.RunAsync(["serve", "--data", file, "--urls", $"http://127.0.0.1:{ServeProcess.FreePort()}"], timeLimit: TimeSpan.FromSeconds(30));

        foreach (var result in new[] { keys, serve })
            Assert.Equal($"agentcrm: invalid configuration: Storage:DataDirectory (--data): {file} is a file, not a directory; "
                + "choose a directory, or a path where one can be created.", DataDirectoryStartTests.OneLineFailure(result));
        Assert.Equal("root:x:0:0::/root:/bin/sh\n", await File.ReadAllTextAsync(file));
    }

    [Fact]
    public async Task DataEmpty_NamesTheOptionAsTheFileMessageDoes()
    {
        var result = await CliRunner.RunAsync(["keys", "list", "--data", ""]);

        // A usage error since qa28a (exit 2, as other bad option values), in one line naming the option and what it takes.
        Assert.Equal((2, "agentcrm: --data: '' is not valid; it takes a folder path (leave --data out for the Storage:DataDirectory setting) (see agentcrm keys list --help)"),
            (result.ExitCode, result.Stderr.Trim()));
    }

    [Fact]
    public async Task DataUnderAFile_NamesTheFile()
    {
        var file = Path.Combine(TempDirectory.Create(), "notes.txt");
        await File.WriteAllTextAsync(file, "x");

        var line = DataDirectoryStartTests.OneLineFailure(await CliRunner.RunAsync(["agents", "list", "--data", Path.Combine(file, "data")]));

        Assert.Contains($"Storage:DataDirectory (--data): cannot create the data directory {Path.Combine(file, "data")}: {file} is a file, not a directory;", line, StringComparison.Ordinal);
    }
}
