using System.CommandLine;
using AgentCrm.Cli;

namespace AgentCrm.Bench;

/// <summary>
/// Where the runtime bench keeps its data: a fresh folder under <c>--data</c> when given (the disk the server will run
/// on), else under the temp folder, removed afterwards; and what file system that is, since a temp folder in memory
/// (tmpfs, the default on several distributions) makes every fsync free and the figures not a disk's.
/// </summary>
internal static class BenchData
{
    /// <summary>What --data is to bench (its help): not a data directory it opens, the folder its own one is made in.</summary>
    public const string OptionDescription = "An existing folder the benchmark makes its own data folder in, removed afterwards "
        + "(default: the temp folder; give one on the disk the server will use). Storage:DataDirectory is not used.";

    /// <summary>File systems that keep data in memory.</summary>
    private static readonly HashSet<string> InMemory = ["tmpfs", "ramfs"];

    /// <summary>The bench's own folder (not yet created), or a one-line problem with <c>--data</c>.</summary>
    public static (string? Directory, string? Problem) Choose(ParseResult parse)
    {
        var given = AgentCrmCli.StorageOverrides(parse).TryGetValue("Storage:DataDirectory", out var data) ? data : null;
        if (given is not null && !System.IO.Directory.Exists(given))
            return (null, $"--data: {given} is not a directory; the bench runs in a new folder inside it (give one on the disk to measure)");
        var parent = given is null ? Path.GetTempPath() : Path.GetFullPath(given);
        return (Path.Combine(parent, "agentcrm-bench-" + Guid.NewGuid().ToString("N")[..8]), null);
    }

    /// <summary>The type of the file system holding <paramref name="path"/> (the longest mount point above it in /proc/mounts), or "unknown".</summary>
    public static string FileSystemOf(string path)
    {
        const string mounts = "/proc/mounts";
        if (!File.Exists(mounts))
            return "unknown";
        var full = Path.GetFullPath(path);
        var best = (Point: "", Type: "unknown");
        foreach (var line in File.ReadLines(mounts))
        {
            var fields = line.Split(' ');
            if (fields.Length < 3)
                continue;
            // Mount points escape spaces and tabs as octal (\040, \011).
            var point = fields[1].Replace("\\040", " ", StringComparison.Ordinal).Replace("\\011", "\t", StringComparison.Ordinal);
            var under = point == "/" || full == point || full.StartsWith(point.TrimEnd('/') + "/", StringComparison.Ordinal);
            if (under && point.Length >= best.Point.Length)
                best = (point, fields[2]);
        }
        return best.Type;
    }

    /// <summary>A warning for the report when the data lives in memory, else null.</summary>
    public static string? Warning(string fileSystem) => InMemory.Contains(fileSystem)
        ? $"the data is on {fileSystem} (in memory): fsync costs nothing there, so these are not a disk's figures; give --data a folder on the disk the server will use"
        : null;
}
