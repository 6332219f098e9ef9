using AgentCrm.Agents.Text;

namespace AgentCrm.Agents.Compliance;

/// <summary>
/// Whether a document reads as English, the only language the shipped models were fitted on: by the share of its words
/// that are common English function words (the, and, of, shall…), which is 30–45% in English contracts and terms and under
/// 10% in German, French, Spanish, Italian, Dutch or Portuguese ones. When it does not, the language whose function words
/// are most frequent is named: a text in none of these languages (a list of names or numbers) is checked as usual. A text
/// whose letters are mostly of another script than Latin (Cyrillic, Chinese characters, Arabic…) is not English either,
/// whatever its words: the script is named ("Cyrillic script"). A few Latin letters (a brand, an English term) do not
/// make such a text English, and a few names in another script do not make an English text foreign. A text read as English
/// may still hold a part in another language (an annex for German customers): <see cref="OtherRuns"/> finds it.
/// </summary>
internal static partial class DocumentLanguage
{
    /// <summary>Below this many words the share says too little: the text is taken as English.</summary>
    public const int MinWords = 30;

    /// <summary>Another language is named only when its function words are at least this share of the words (and more than English's).</summary>
    public const double MinOtherShare = 0.15;

    /// <summary>A text whose English function-word share is below this is not read as English.</summary>
    public const double MinEnglishShare = 0.12;

    /// <summary>Below this many letters the script says too little: the text is read on by its words.</summary>
    public const int MinLetters = 60;

    /// <summary>A text is in another script when more than this share of its letters are of scripts other than Latin.</summary>
    public const double MaxOtherScriptShare = 0.5;

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
        ("Polish", Set("i w z na nie się do że jest to o przez lub od za po jak oraz dla ich jego są może być")),
        ("Czech", Set("a v se na je že s z do to o k i jako nebo pro podle jsou by jeho může být")),
        ("Swedish", Set("och i att det som en ett på är av för med till den inte om eller vi du ni er ert era har kan")),
        ("Danish", Set("og i at det som en et på er af for med til den ikke om eller vi du jer jeres har kan")),
        ("Turkish", Set("ve bir bu da de için ile olarak veya gibi olan her daha çok ama ancak ya")),
    ];

    /// <summary>
    /// Null when the text reads as English, is too short to tell, or is in no language named here (a list of names or
    /// numbers is read as usual); else the language it is in.
    /// </summary>
    public static string? NotEnglish(string text)
    {
        var start = text.Length > 20 * SampleWords ? text[..(20 * SampleWords)] : text;
        if (OtherScript(start, MinLetters) is { } script)
            return script;
        var words = TextFeaturizer.Words(start);
        if (words.Count < MinWords)
            return null;
        var sample = words.Count > SampleWords ? words.GetRange(0, SampleWords) : words;
        var english = sample.Count(English.Contains) / (double)sample.Count;
        if (english >= MinEnglishShare)
            return null;
        var best = Others.Select(o => (o.Name, Share: sample.Count(o.Words.Contains) / (double)sample.Count)).MaxBy(o => o.Share);
        return best.Share >= MinOtherShare && best.Share > english ? best.Name : null;
    }

    /// <summary>
    /// A run in a Latin-script language holds at least this many different function words of it: prose does ("wir", "das",
    /// "diese", "von", "zu" in one German clause), while a list of addresses or affiliates repeats a particle or two ("de",
    /// "la"), and a table's "NA" cells are one Czech word.
    /// </summary>
    public const int MinDistinctInRun = 5;

    /// <summary>
    /// The runs of consecutive sentences in another language in a text read as English (an annex in German): a sentence
    /// leans to another language when it holds more of that language's function words than of English's, or most of its
    /// letters are of another script (<see cref="Lean"/>); a run goes from such a sentence to the last one before a sentence
    /// that leans to English (those that lean to neither inside it), and counts only when its text is not English by
    /// <see cref="NotEnglish"/> — at least <see cref="MinWords"/> words — and, in a Latin script, holds
    /// <see cref="MinDistinctInRun"/> different function words of the language that names it.
    /// </summary>
    public static List<LanguageRun> OtherRuns(IReadOnlyList<string> sentences)
    {
        var leans = sentences.Select(Lean).ToList();
        var runs = new List<LanguageRun>();
        for (var i = 0; i < leans.Count;)
        {
            if (leans[i] <= 0)
            {
                i++;
                continue;
            }
            var last = i;
            var end = i + 1;
            for (; end < leans.Count && leans[end] >= 0; end++)
                if (leans[end] > 0)
                    last = end;
            var text = string.Join(" ", sentences.Skip(i).Take(last - i + 1));
            if (NotEnglish(text) is { } language && (language.EndsWith(" script", StringComparison.Ordinal) || Distinct(text, language) >= MinDistinctInRun))
                runs.Add(new LanguageRun(i, last - i + 1, language));
            i = end;
        }
        return runs;
    }

    /// <summary>
    /// 1 when a sentence leans to another language or script than English, -1 to English, 0 to neither (no function word of
    /// two letters or more, or as many of each). Words of one letter say nothing in a sentence: "a", "s" and "i" are Czech or
    /// Polish function words, and English's article, "/s/" and initials in a signature block ("By: /s/ James A. Doran"). Nor
    /// does the particle of a name: a capitalised word before another, past the sentence's first word, in a sentence not in
    /// capitals ("Los Angeles, Las Vegas, El Paso" are places, not Spanish).
    /// </summary>
    private static int Lean(string sentence)
    {
        if (OtherScript(sentence, 1) is not null)
            return 1;
        var words = Words(sentence);
        var english = words.Count(English.Contains);
        var other = Others.Max(o => words.Count(o.Words.Contains));
        return other.CompareTo(english);
    }

    /// <summary>A sentence's words of two letters or more, lower-cased, but the particles of names (<see cref="Lean"/>).</summary>
    private static List<string> Words(string sentence)
    {
        var tokens = WordPattern().Matches(sentence).Select(m => m.Value).Where(t => t.Length > 1).ToList();
        var capitals = tokens.Count(t => t.Any(char.IsLower)) * 2 < tokens.Count;
        bool Particle(int k) => NameParticles.Contains(tokens[k].ToLowerInvariant());
        // "María de los Ángeles", "Pierre du Pont": particles between two capitalised words, not in a sentence in capitals (where
        // every word is; a Portuguese or Dutch annex in capitals is mostly "de", "da", "van" — rev44b M1).
        bool Joins(int k)
        {
            if (capitals || !Particle(k))
                return false;
            var (before, after) = (k - 1, k + 1);
            while (before >= 0 && Particle(before))
                before--;
            while (after < tokens.Count && Particle(after))
                after++;
            return before >= 0 && after < tokens.Count && char.IsUpper(tokens[before][0]) && char.IsUpper(tokens[after][0]);
        }
        return tokens.Where((t, index) => !Joins(index)
                && (index == 0 || capitals || !char.IsUpper(t[0]) || index + 1 == tokens.Count || !char.IsUpper(tokens[index + 1][0])))
            .Select(t => t.ToLowerInvariant()).ToList();
    }

    /// <summary>
    /// The words that join the parts of Spanish, French and Italian names. Not German's articles, nor Portuguese "da", "do", "dos"
    /// or Dutch "van", which stand between capitalised defined terms in contracts ("as Condições Gerais da Empresa", rev44b M1).
    /// </summary>
    private static readonly HashSet<string> NameParticles = Set("de del della dei di du des la le les los las");

    [System.Text.RegularExpressions.GeneratedRegex(@"\p{L}+")]
    private static partial System.Text.RegularExpressions.Regex WordPattern();

    /// <summary>How many different function words of <paramref name="language"/> (two letters or more) <paramref name="text"/> holds.</summary>
    private static int Distinct(string text, string language)
    {
        var set = Others.First(o => o.Name == language).Words;
        return TextFeaturizer.Words(text).Where(w => w.Length > 1 && set.Contains(w)).Distinct(StringComparer.Ordinal).Count();
    }

    /// <summary>"Cyrillic script" (the most frequent of them) when most of the letters (at least <paramref name="minLetters"/>) are of scripts other than Latin, else null.</summary>
    private static string? OtherScript(string text, int minLetters)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        int letters = 0, other = 0;
        foreach (var ch in text)
        {
            if (!char.IsLetter(ch))
                continue;
            letters++;
            if (ScriptOf(ch) is { } script)
            {
                other++;
                counts[script] = counts.GetValueOrDefault(script) + 1;
            }
        }
        if (letters < minLetters || other <= MaxOtherScriptShare * letters)
            return null;
        return counts.OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal).First().Key + " script";
    }

    /// <summary>The script of a letter that is not Latin, by its Unicode block; null for a Latin letter.</summary>
    private static string? ScriptOf(char c) => c switch
    {
        < '\u0250' or (>= '\u1E00' and <= '\u1EFF') or (>= '\u2C60' and <= '\u2C7F') or (>= '\uA720' and <= '\uA7FF') or (>= '\uFF21' and <= '\uFF5A') => null,
        (>= '\u0370' and <= '\u03FF') or (>= '\u1F00' and <= '\u1FFF') => "Greek",
        (>= '\u0400' and <= '\u052F') or (>= '\u1C80' and <= '\u1C8F') or (>= '\u2DE0' and <= '\u2DFF') or (>= '\uA640' and <= '\uA69F') => "Cyrillic",
        >= '\u0530' and <= '\u058F' => "Armenian",
        >= '\u0590' and <= '\u05FF' => "Hebrew",
        (>= '\u0600' and <= '\u08FF') or (>= '\uFB50' and <= '\uFDFF') or (>= '\uFE70' and <= '\uFEFF') => "Arabic",
        >= '\u0900' and <= '\u097F' => "Devanagari",
        >= '\u0980' and <= '\u0DFF' => "Indic",
        >= '\u0E00' and <= '\u0E7F' => "Thai",
        >= '\u10A0' and <= '\u10FF' => "Georgian",
        (>= '\u1100' and <= '\u11FF') or (>= '\u3130' and <= '\u318F') or (>= '\uAC00' and <= '\uD7AF') => "Hangul (Korean)",
        (>= '\u3040' and <= '\u30FF') or (>= '\u31F0' and <= '\u31FF') or (>= '\uFF66' and <= '\uFF9F') => "Japanese kana",
        (>= '\u3400' and <= '\u4DBF') or (>= '\u4E00' and <= '\u9FFF') or (>= '\uF900' and <= '\uFAFF') => "Chinese (Han)",
        _ => "non-Latin",
    };

    private static HashSet<string> Set(string words) => new(words.Split(' '), StringComparer.Ordinal);
}

/// <summary><see cref="Count"/> sentences from the <see cref="Start"/>th that read as <see cref="Language"/>, not English.</summary>
internal readonly record struct LanguageRun(int Start, int Count, string Language);
