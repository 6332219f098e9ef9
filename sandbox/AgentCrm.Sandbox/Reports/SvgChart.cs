using System.Globalization;
using System.Net;
using System.Text;

namespace AgentCrm.Sandbox.Reports;

/// <summary>
/// A square unit-axes line chart as inline SVG: no scripts, no external assets, and styled by presentation
/// attributes rather than the page's CSS, so a chart copied out of the page still draws the same.
/// </summary>
internal static class SvgChart
{
    private const double Size = 320;
    private const double Left = 48;
    private const double Top = 28;
    private const double Plot = 250;

    public static string Render(
        string title,
        string xLabel,
        string yLabel,
        IReadOnlyList<(double X, double Y)> line,
        IReadOnlyList<(double X, double Y)> reference,
        bool markers,
        string emptyNote)
    {
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"""<svg xmlns="http://www.w3.org/2000/svg" width="{Size}" height="{Size}" viewBox="0 0 {Size} {Size}" role="img" aria-label="{Encode(title)}">""");
        svg.Append(CultureInfo.InvariantCulture, $"<title>{Encode(title)}</title>");
        svg.Append(CultureInfo.InvariantCulture, $"""<g font-family="sans-serif" font-size="11" fill="#333">""");
        svg.Append(CultureInfo.InvariantCulture, $"""<text x="{Size / 2}" y="18" text-anchor="middle" font-size="13" font-weight="bold">{Encode(title)}</text>""");
        foreach (var tick in new[] { 0.0, 0.25, 0.5, 0.75, 1.0 })
        {
            var (x, y) = (X(tick), Y(tick));
            svg.Append(CultureInfo.InvariantCulture, $"""<line x1="{x:0.#}" y1="{Top}" x2="{x:0.#}" y2="{Top + Plot}" stroke="#eee"/>""");
            svg.Append(CultureInfo.InvariantCulture, $"""<line x1="{Left}" y1="{y:0.#}" x2="{Left + Plot}" y2="{y:0.#}" stroke="#eee"/>""");
            svg.Append(CultureInfo.InvariantCulture, $"""<text x="{x:0.#}" y="{Top + Plot + 14}" text-anchor="middle">{tick:0.##}</text>""");
            svg.Append(CultureInfo.InvariantCulture, $"""<text x="{Left - 6}" y="{y + 4:0.#}" text-anchor="end">{tick:0.##}</text>""");
        }

        svg.Append(CultureInfo.InvariantCulture, $"""<rect x="{Left}" y="{Top}" width="{Plot}" height="{Plot}" fill="none" stroke="#888"/>""");
        svg.Append(CultureInfo.InvariantCulture, $"""<text x="{Left + (Plot / 2)}" y="{Size - 6}" text-anchor="middle">{Encode(xLabel)}</text>""");
        svg.Append(CultureInfo.InvariantCulture, $"""<text x="12" y="{Top + (Plot / 2)}" text-anchor="middle" transform="rotate(-90 12 {Top + (Plot / 2)})">{Encode(yLabel)}</text>""");
        if (reference.Count > 1)
        {
            svg.Append(CultureInfo.InvariantCulture, $"""<polyline points="{Points(reference)}" fill="none" stroke="#999" stroke-dasharray="4 3"/>""");
        }

        if (line.Count == 0)
        {
            svg.Append(CultureInfo.InvariantCulture, $"""<text x="{Left + (Plot / 2)}" y="{Top + (Plot / 2)}" text-anchor="middle" fill="#888">{Encode(emptyNote)}</text>""");
        }
        else
        {
            svg.Append(CultureInfo.InvariantCulture, $"""<polyline points="{Points(line)}" fill="none" stroke="#0969da" stroke-width="2"/>""");
            if (markers)
            {
                foreach (var (x, y) in line)
                {
                    svg.Append(CultureInfo.InvariantCulture, $"""<circle cx="{X(x):0.#}" cy="{Y(y):0.#}" r="3" fill="#0969da"/>""");
                }
            }
        }

        return svg.Append("</g></svg>").ToString();
    }

    private static string Points(IEnumerable<(double X, double Y)> points) =>
        string.Join(' ', points.Select(p => string.Create(CultureInfo.InvariantCulture, $"{X(p.X):0.#},{Y(p.Y):0.#}")));

    // Values outside [0, 1] (possible for raw scores) are pinned to the frame rather than drawn outside it.
    private static double X(double value) => Left + (Math.Clamp(value, 0, 1) * Plot);

    private static double Y(double value) => Top + ((1 - Math.Clamp(value, 0, 1)) * Plot);

    private static string Encode(string text) => WebUtility.HtmlEncode(text);
}
