using System.Runtime.InteropServices;
using AgentCrm.Knowledge.Ingest;

namespace AgentCrm.Knowledge.Retrieval;

/// <summary>A folder's documents (<see cref="Of"/>) and the files skipped in it.</summary>
public sealed record DocumentFolder(IReadOnlyList<string> Files, IReadOnlyList<SkippedFile> Skipped)
{
    /// <summary>The files under <paramref name="path"/> (recursively, in name order) a folder ingest takes, and those it skips with why.</summary>
    public static DocumentFolder Of(string path)
    {
        if (!Directory.Exists(path))
        {
            throw new KnowledgeInputException($"The directory '{path}' does not exist.");
        }

        var files = new List<string>();
        var skipped = new List<SkippedFile>();
        foreach (var file in Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            // Before anything else: reading a named pipe waits for a writer that may never come (the ingest hung on one), and
            // a device or socket is no document either.
            if (FileType.NotRegular(file) is { } kind)
            {
                skipped.Add(new SkippedFile(file, $"{kind}, not a regular file"));
            }
            else if (IsAttribution(file))
            {
                skipped.Add(new SkippedFile(file, "attribution or licence file, not a document"));
            }
            else if (DocumentTypes.TryFromPath(file, out _))
            {
                files.Add(file);
            }
            else
            {
                skipped.Add(new SkippedFile(file, "unsupported extension; documents are .md, .html or .txt"));
            }
        }

        return new DocumentFolder(files, skipped);
    }

    private static bool IsAttribution(string file) =>
        Path.GetFileName(file) is "SOURCES.md" or "README.md" or "LICENSE.md";
}

/// <summary>A file a folder ingest leaves out, and why.</summary>
public sealed record SkippedFile(string Path, string Reason);

/// <summary>What kind of file system entry a path is, where that matters: .NET tells files from folders, not a named pipe from a file.</summary>
public static class FileType
{
    /// <summary>
    /// What <paramref name="path"/> is when it is not a regular file (after following symbolic links): "a named pipe (FIFO)",
    /// "a socket", "a character device", "a block device"; null for a regular file, a folder, one that cannot be examined
    /// (its reading says why), and on Windows.
    /// </summary>
    public static string? NotRegular(string path)
    {
        if (OperatingSystem.IsWindows())
            return null;
        var bytes = System.Text.Encoding.UTF8.GetBytes(path + "\0");
        FileStatus status;
        try
        {
            if (Stat(bytes, out status) != 0)
                return null;
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
        {
            // A runtime without the shim (it is internal to .NET): the file is read as before, not the ingest failed.
            return null;
        }
        return (status.Mode & TypeMask) switch
        {
            0x1000 => "a named pipe (FIFO)",
            0x2000 => "a character device",
            0x6000 => "a block device",
            0xC000 => "a socket",
            _ => null,
        };
    }

    private const int TypeMask = 0xF000;

    // The runtime's own shim over stat(2) (libSystem.Native, part of .NET on every Unix, behind File and Directory): its
    // FileStatus begins with Flags and Mode (st_mode, its S_IFMT bits as POSIX numbers them) on every platform, unlike struct stat.
    [DllImport("libSystem.Native", EntryPoint = "SystemNative_Stat", SetLastError = true)]
    private static extern int Stat(byte[] path, out FileStatus status);

    /// <summary>The start of the shim's FileStatus; the rest of it (sizes, times, inode) is room the call writes into.</summary>
    [StructLayout(LayoutKind.Sequential, Size = 256)]
    private struct FileStatus
    {
        public int Flags;
        public int Mode;
    }
}
