using System.Text;
using System.Text.RegularExpressions;
using AgentCrm.Knowledge.Ingest;

namespace AgentCrm.Knowledge.Retrieval;

/// <summary>Document ids: what makes one valid, and the id a title or a file name gives.</summary>
public static partial class DocumentIds
{
    /// <summary>The most characters of a name or title an id keeps as they are; past it, the rest is a hash of the whole.</summary>
    private const int MaxNameLength = 64;

    /// <summary>How many hex digits of the name's hash an id ends in when the name alone would not keep it apart.</summary>
    private const int HashLength = 12;

    /// <summary>Why <paramref name="id"/> cannot be a document id as given (ids are never rewritten), or null when it can.</summary>
    public static string? Problem(string id) =>
        IdPattern().IsMatch(id) ? null : $"Document id '{id}' is invalid: use 1–100 characters of a–z, 0–9, '.', '_' or '-'.";

    internal static string Validate(string id) => Problem(id) is { } problem ? throw new KnowledgeInputException(problem) : id;

    /// <summary>
    /// The id a title or a file name gives: lower-cased, characters other than a–z and 0–9 as '-'. Cut at 64 characters,
    /// two names sharing their first 64 gave one id, and the second upload replaced the first (qa44b F1); a name in another
    /// script gave none (qa44b F3). So a longer name keeps its first 64 and ends in '-' and 12 hex digits of the hash of the
    /// whole (its letters and digits in any script, lower-cased, composed), and a name with letters or digits but none of
    /// a–z0–9 is those 12 hex digits alone: the same name always gives the same id, and two names no longer share one by
    /// the cut or by giving no a–z0–9. Null for a text with no letter or digit in any script. A name of 64 characters or
    /// fewer that gives some a–z0–9 keeps the id earlier builds gave it (so `Über Uns` and `ber uns` still give one).
    /// </summary>
    internal static string? Slug(string text)
    {
        var slug = NonSlug().Replace(text.ToLowerInvariant(), "-").Trim('-');
        if (slug.Length is > 0 and <= MaxNameLength)
        {
            return slug;
        }

        var whole = NonWord().Replace(Composed(text).ToLowerInvariant(), "-").Trim('-');
        if (whole.Length == 0)
        {
            return null;
        }

        var hash = DocumentParser.Hash(whole)[..HashLength];
        var kept = slug[..Math.Min(slug.Length, MaxNameLength)].TrimEnd('-');
        return kept.Length == 0 ? hash : $"{kept}-{hash}";
    }

    // A name typed on macOS arrives decomposed (и + ◌̆ for й): the same name either way.
    private static string Composed(string text)
    {
        try
        {
            return text.Normalize(NormalizationForm.FormC);
        }
        catch (ArgumentException)
        {
            return text; // half a surrogate pair: nothing to compose
        }
    }

    [GeneratedRegex(@"^[a-z0-9][a-z0-9._-]{0,99}\z")]
    private static partial Regex IdPattern();

    [GeneratedRegex("[^a-z0-9]+")]
    private static partial Regex NonSlug();

    [GeneratedRegex(@"[^\p{L}\p{M}\p{N}]+")]
    private static partial Regex NonWord();

    /// <summary>The document id a file name gives: the name without its extension, as <see cref="Slug"/> makes it; null when it has no letter or digit.</summary>
    public static string? FromFileName(string fileName) => Slug(Path.GetFileNameWithoutExtension(fileName));
}
