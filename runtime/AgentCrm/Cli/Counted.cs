namespace AgentCrm.Cli;

/// <summary>A count with its noun, singular for one: "1 case", "0 cases", "2 cases", as the CLI's lines print counts.</summary>
internal static class Counted
{
    /// <summary><paramref name="count"/> (formatted with <paramref name="format"/>, e.g. N0) and <paramref name="one"/> or <paramref name="many"/> (default: one + "s").</summary>
    public static string Of(long count, string one, string? many = null, string? format = null) =>
        $"{count.ToString(format, System.Globalization.CultureInfo.CurrentCulture)} {(count == 1 ? one : many ?? one + "s")}";

    /// <summary>
    /// As <see cref="Of"/>, for a right-aligned column of <see cref="Columns"/>: the singular is padded to the plural's
    /// length, so the numbers of "1 chunk " and "12 chunks" stay aligned.
    /// </summary>
    public static string Cell(long count, string one, string? many = null)
    {
        many ??= one + "s";
        return count == 1 ? Of(count, one, many).PadRight($"1 {many}".Length) : Of(count, one, many);
    }
}
