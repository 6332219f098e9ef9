namespace AgentCrm.Sandbox.Cases;

/// <summary>
/// A case file or mapping that cannot be loaded. The message is one line naming the file, the line
/// and, where it applies, the column, so a user fixes the file without a debugger.
/// </summary>
public sealed class CaseSetException : Exception
{
    public CaseSetException(string file, int? line, string? column, string problem)
        : base(Format(file, line, column, problem))
    {
        File = file;
        Line = line;
        Column = column;
        Problem = problem;
    }

    public string File { get; }

    /// <summary>1-based line in <see cref="File"/>, when the problem has one.</summary>
    public int? Line { get; }

    public string? Column { get; }

    /// <summary>The problem without the location.</summary>
    public string Problem { get; }

    private static string Format(string file, int? line, string? column, string problem)
    {
        var where = file;
        if (line is { } l)
            where += $" line {l}";
        if (column is not null)
            where += $", column '{column}'";
        return $"{where}: {problem}";
    }
}
