using System.Globalization;

namespace AgentCrm.Agents.RenewalRisk;

/// <summary>
/// How a reason words its numbers, for every reason the renewal-risk agent writes: a count agrees with its noun
/// ("1 day", "2 days"), no number reads "-0", and a value that is not zero never reads as 0 ("less than 1%", "0.004").
/// </summary>
internal static class ReasonText
{
    /// <summary>A contribution that would show as +0.00 (a brief shows weights to two decimals): too small to be a reason.</summary>
    public static bool Negligible(double weight) => Math.Abs(weight) < 0.005;

    /// <summary>"1 day", "3 days", "1.5 days": the number as <see cref="Number"/> shows it, the noun plural unless it is 1.</summary>
    public static string Count(double n, string noun, string? plural = null)
    {
        var shown = Number(n);
        return $"{shown} {(shown == "1" ? noun : plural ?? noun + "s")}";
    }

    /// <summary>A number to two decimals ("3", "0.25", "-1.5"), to its first significant digits when that would show 0 ("0.004"); never "-0".</summary>
    public static string Number(double d)
    {
        if (d == 0 || !double.IsFinite(d))
            return d == 0 ? "0" : d.ToString(CultureInfo.InvariantCulture);
        var shown = d.ToString("0.##", CultureInfo.InvariantCulture);
        if (shown is not ("0" or "-0"))
            return shown;
        var decimals = Math.Min(15, -(int)Math.Floor(Math.Log10(Math.Abs(d))));
        return d.ToString("0." + new string('#', decimals), CultureInfo.InvariantCulture);
    }

    /// <summary>A fraction's size as a whole percentage ("38%"), "less than 1%" when that would show 0%.</summary>
    public static string Percent(double fraction)
    {
        var percent = Math.Abs(fraction) * 100;
        var shown = percent.ToString("0", CultureInfo.InvariantCulture);
        return shown == "0" && percent > 0 ? "less than 1%" : shown + "%";
    }

    /// <summary>A weight as a brief shows it ("+0.84").</summary>
    public static string Weight(double weight) => weight.ToString("+0.00;-0.00", CultureInfo.InvariantCulture);

    /// <summary>"contract ends in 3 days", "contract ended 1 day ago", "contract ended less than a day ago" (days to the end, rounded up).</summary>
    public static string ContractEnd(double daysToEnd) => daysToEnd switch
    {
        > 0 => $"contract ends in {Count(daysToEnd, "day")}",
        0 => "contract ended less than a day ago",
        _ => $"contract ended {Count(-daysToEnd, "day")} ago",
    };

    /// <summary>"customer for only 87 days", "customer for less than a day" (whole days, rounded down).</summary>
    public static string Tenure(double days) => days < 1 ? "customer for less than a day" : $"customer for only {Count(days, "day")}";
}
