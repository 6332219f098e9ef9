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
            if (IsAttribution(file))
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
