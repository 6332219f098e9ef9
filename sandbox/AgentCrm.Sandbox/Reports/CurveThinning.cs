namespace AgentCrm.Sandbox.Reports;

/// <summary>
/// Curves in a report are for drawing: one point per distinct score would put thousands of points in every
/// report. A point is kept when it moved at least <see cref="Step"/> in either coordinate from the last kept
/// one (the ends are always kept), so a 250-pixel chart looks the same. The AUCs are computed from all cases.
/// </summary>
internal static class CurveThinning
{
    public const double Step = 0.005;

    public static List<T> Thin<T>(IReadOnlyList<T> points, Func<T, (double X, double Y)> coordinates)
    {
        var kept = new List<T>();
        for (var i = 0; i < points.Count; i++)
        {
            if (i == 0 || i == points.Count - 1 || Moved(coordinates(kept[^1]), coordinates(points[i])))
            {
                kept.Add(points[i]);
            }
        }

        return kept;
    }

    private static bool Moved((double X, double Y) from, (double X, double Y) to) =>
        Math.Abs(to.X - from.X) >= Step || Math.Abs(to.Y - from.Y) >= Step;
}
