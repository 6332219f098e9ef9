using AgentCrm.Agents.Text;

namespace AgentCrm.Agents.Compliance;

/// <summary>
/// Whether a document reads as English, the only language the shipped models were fitted on: by the share of its words
/// that are common English function words (the, and, of, shall…), which is 30–45% in English contracts and terms and under
/// 10% in German, French, Spanish, Italian, Dutch or Portuguese ones. When it does not, the language whose function words
/// are most frequent is named: a text in none of these languages (a list of names or numbers) is checked as usual.
/// </summary>
internal static class DocumentLanguage
{
    /// <summary>Below this many words the share says too little: the text is taken as English.</summary>
    public const int MinWords = 30;

    /// <summary>Another language is named only when its function words are at least this share of the words (and more than English's).</summary>
    public const double MinOtherShare = 0.15;

    /// <summary>A text whose English function-word share is below this is not read as English.</summary>
    public const double MinEnglishShare = 0.12;

    /// <summary>Words read (from the start), enough to decide.</summary>
    private const int SampleWords = 2_000;

    private static readonly HashSet<string> English = Set("the and of to in for or by with any be is are this that you we your our shall may will not on as at from all such it its other these which has have no if");

    private static readonly (string Name, HashSet<string> Words)[] Others =
    [
        ("German", Set("der die das und ist nicht sie wir ihr ihre ihren den dem des mit von zu für auf eine einer eines ein oder bei durch diese dieser")),
        ("French", Set("le la les et est ne pas nous vous votre vos des du de un une pour sur par avec ou dans ces cette sont")),
        ("Spanish", Set("el la los las y es no nosotros usted su sus del de un una para por con o en estos estas que se")),
        ("Italian", Set("il lo la gli le e è non noi voi vostro del della dei di un una per su con o in questi queste che si")),
        ("Dutch", Set("de het een en is niet wij u uw van voor op met of in deze die dat zijn")),
        ("Portuguese", Set("o a os as e é não nós você seu sua do da dos das de um uma para por com ou em estes que se")),
    ];

    /// <summary>
    /// Null when the text reads as English, is too short to tell, or is in no language named here (a list of names or
    /// numbers is read as usual); else the language it is in.
    /// </summary>
    public static string? NotEnglish(string text)
    {
        var words = TextFeaturizer.Words(text.Length > 20 * SampleWords ? text[..(20 * SampleWords)] : text);
        if (words.Count < MinWords)
            return null;
        var sample = words.Count > SampleWords ? words.GetRange(0, SampleWords) : words;
        var english = sample.Count(English.Contains) / (double)sample.Count;
        if (english >= MinEnglishShare)
            return null;
        var best = Others.Select(o => (o.Name, Share: sample.Count(o.Words.Contains) / (double)sample.Count)).MaxBy(o => o.Share);
        return best.Share >= MinOtherShare && best.Share > english ? best.Name : null;
    }

    private static HashSet<string> Set(string words) => new(words.Split(' '), StringComparer.Ordinal);
}
