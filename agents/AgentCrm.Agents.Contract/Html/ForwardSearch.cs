using System.Text.RegularExpressions;

namespace AgentCrm.Agents.Html;

/// <summary>
/// The first match of a pattern (that <paramref name="accept"/> takes) at or after a position, remembered: asked again from
/// a position the last answer still covers — at or after where it searched from, not past what it found, or anywhere
/// after a search that found nothing — it answers without searching. So a scan whose questions only move forward reads
/// the text once in all, however many openers there are that never close.
/// </summary>
internal sealed class ForwardSearch(string text, Regex pattern, Func<Match, bool>? accept = null)
{
    private int _searchedFrom = -1;
    private Match? _found;

    /// <summary>How many times the pattern was actually run (the rest were answered from the last search).</summary>
    public int Searches { get; private set; }

    /// <summary>The first accepted match starting at or after <paramref name="position"/>, or null when there is none.</summary>
    public Match? From(int position)
    {
        if (_searchedFrom >= 0 && position >= _searchedFrom && (_found is null || position <= _found.Index))
        {
            return _found;
        }

        Searches++;
        var match = pattern.Match(text, position);
        while (match.Success && accept is not null && !accept(match))
        {
            match = match.NextMatch();
        }

        _searchedFrom = position;
        _found = match.Success ? match : null;
        return _found;
    }
}
