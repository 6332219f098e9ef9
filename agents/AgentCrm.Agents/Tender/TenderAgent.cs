using System.Globalization;
using AgentCrm.Agents.Html;
using AgentCrm.Agents.Models;
using AgentCrm.Agents.Text;

namespace AgentCrm.Agents.Tender;

/// <summary>
/// Two signals that a customer is about to buy: (a) a recent procurement notice (title, buyer, description)
/// whose text the fitted model matches to our product category; (b) buying-intent web behaviour far above the
/// customer's own weekly baseline (once there is one), and new visitors from its domain beyond its own usual rate. The score is the stronger
/// signal; the reasons say what was seen and since when. A notice that is no open call from this customer (an award
/// or result notice; a buyer plainly not the customer) scores nothing and says why. The findings are the notice (title
/// and buyer) and the web burst, each at the threshold, each with its own cooldown: the cooldown holds the same notice
/// back (for as long as it counts, <c>noticeDays</c>, when longer) but not the customer's next one, nor a new notice during a
/// burst briefed already.
/// </summary>
internal sealed class TenderAgent(AgentManifest manifest, TenderParameters p) : IAgent
{
    public static readonly string[] NoticeFields = ["news.title", "news.buyer", "news.description"];

    /// <summary>The customer's name, compared with a notice's buyer.</summary>
    public const string CustomerNameField = "profile.name";

    public AgentManifest Manifest { get; } = manifest;

    /// <summary>
    /// The notice text the model reads: title, buyer and description, in that order (the fit uses the same). A field in HTML
    /// (an RFP page sent as a document) is read as the text it shows, as compliance-check reads HTML terms.
    /// </summary>
    public static string NoticeText(CustomerSnapshot s) =>
        string.Join(" \n ", NoticeFields.Select(s.Text).Where(t => !string.IsNullOrWhiteSpace(t)).Select(t => Shown(t!)));

    private static string Shown(string field) => HtmlText.IsHtml(field) ? HtmlText.ToText(field) : field;

    /// <summary>The longest name made for a notice without a title: as long as compliance-check lets a document's title be.</summary>
    public const int LabelLength = 80;

    /// <summary>
    /// How the reasons name the notice, and the field that names it: its title, quoted; without one, the first words of its
    /// description (its lines joined by " / ", cut on a word at <see cref="LabelLength"/> characters with "…"); with neither,
    /// its buyer, which the reason names anyway. A notice sent as a document often has no title, and its buyer and body,
    /// quoted as its title, made a headline of 10,000 characters.
    /// </summary>
    private static (string Field, string? Value, string Name) Named(CustomerSnapshot s)
    {
        if (s.Text("news.title") is { } title && !string.IsNullOrWhiteSpace(title))
            return ("news.title", title, $"procurement notice \"{title}\"");
        if (s.Text("news.description") is { } description && !string.IsNullOrWhiteSpace(description))
        {
            var lines = Shown(description).Split('\n')
                .Select(line => string.Join(' ', line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))).Where(line => line.Length > 0);
            var label = ShortText.Cut(string.Join(" / ", lines), LabelLength);
            return ("news.description", label, $"untitled procurement notice beginning \"{label}\"");
        }
        return ("news.buyer", s.Text("news.buyer"), "untitled procurement notice");
    }

    public Assessment Assess(CustomerSnapshot s)
    {
        var reasons = new List<Reason>();
        double notice = 0, web = 0;
        string next = "", noticeKey = "";

        if (p.Model is { } model)
            (notice, noticeKey) = Notice(s, model, reasons);

        if (s.Number("web.intentVisits7d") is { } visits && visits >= p.MinVisits && (s.Number("web.intentBaselineWeeks") ?? 0) >= p.MinBaselineWeeks)
        {
            var baseline = s.Number("web.intentWeeklyBaseline") ?? 0;
            var burst = Math.Log((1 + visits) / (1 + baseline));
            var (fresh, beyond) = NewVisitors(s);
            var logit = p.WebIntercept + p.WebBurst * burst + p.WebNewVisitors * beyond;
            web = Math.Round(LinearModel.Sigmoid(logit), 4);
            reasons.Add(new Reason("web.intentVisits7d", visits, Math.Round(p.WebBurst * burst, 4), s.EventIds("web.intentVisits7d"), VisitsSeen(s, visits, baseline)));
            if (beyond > 0)
            {
                var usual = s.Number(UsualNewVisitorsField);
                reasons.Add(new Reason("web.newDomainVisitors14d", fresh, Math.Round(p.WebNewVisitors * beyond, 4), s.EventIds("web.newDomainVisitors14d"),
                    string.Create(CultureInfo.InvariantCulture, $"{fresh:0} new visitor{(fresh == 1 ? "" : "s")} from the customer's own domain in 14 days{(usual is not { } u ? "" : u < 0.05 ? ", none usually" : $", vs {u:0.#} usually")}")));
            }
        }

        var score = Math.Max(notice, web);
        // A notice at the threshold leads the brief (the headline quotes the first reason; the next step prepares the bid),
        // whether the burst scores more or not: it names what the customer buys and by when, and a burst beside it is
        // likely its evaluation. By weight alone the visits led every brief about a notice: a notice's weight is its
        // probability, the web's are logit terms. Within a signal, strongest first.
        var byNotice = notice >= Manifest.Threshold && noticeKey.Length > 0;
        if (score >= Manifest.Threshold)
            next = byNotice
                ? "Prepare a bid: get the solicitation documents, check the closing date and mandatory requirements, line up references and a compliant price, and tell the account team."
                : "Call the sponsor this week: they are evaluating. Prepare the security questionnaire answers, an integration plan and a priced proposal.";
        reasons.Sort((a, b) => Leads(a) != Leads(b) ? (Leads(a) ? -1 : 1) : b.Weight.CompareTo(a.Weight));
        bool Leads(Reason r) => IsNotice(r) == byNotice;
        // Each signal at the threshold is a finding with its own cooldown: a notice is its title and buyer; a burst lasts days
        // and shifts its start as they pass, so the burst is one finding per cooldown. A new notice during a burst briefed
        // already is new (and a burst after a notice). A notice's brief holds it back for as long as it counts (news.daysSince,
        // whole days, up to noticeDays: noticeDays + 1 from the brief, written on or after the notice's day), not the 14-day
        // cooldown: any later event (a blog visit, a profile update) re-scored it and briefed it again once that was over.
        List<Finding> findings = [];
        if (notice >= Manifest.Threshold && noticeKey.Length > 0)
            findings.Add(new Finding(noticeKey, notice) { CooldownDays = p.NoticeDays + 1 });
        if (web >= Manifest.Threshold)
            findings.Add(new Finding(WebBurstFinding, web));
        return new Assessment(score, score >= Manifest.Threshold, reasons, next) { Findings = findings };
    }

    /// <summary>The web burst's finding key (the one finding of every burst in a cooldown).</summary>
    public const string WebBurstFinding = "web-burst";

    private static bool IsNotice(Reason r) => r.Field.StartsWith("news.", StringComparison.Ordinal) || r.Field == CustomerNameField;

    /// <summary>The customer's usual number of new visitors from its domain in 14 days (<see cref="Customers.WebBaseline"/>).</summary>
    public const string UsualNewVisitorsField = "web.newDomainVisitorsBaseline14d";

    /// <summary>
    /// New visitors from the customer's domain in 14 days, and how many of them are beyond its own usual number (at most 5):
    /// a big customer brings a few new people every fortnight, so only those past its usual rate and that rate's ordinary
    /// spread (twice its square root, a count's noise) are a departure. Without a usual rate (a manifest that does not read
    /// it) every new visitor counts.
    /// </summary>
    private static (double Fresh, double Beyond) NewVisitors(CustomerSnapshot s)
    {
        var fresh = s.Number("web.newDomainVisitors14d") ?? 0;
        var usual = s.Number(UsualNewVisitorsField) is { } u and > 0 ? u + 2 * Math.Sqrt(u) : 0;
        return (fresh, Math.Round(Math.Clamp(fresh - usual, 0, 5), 4));
    }

    /// <summary>
    /// What the week's visits to buying pages were: when the burst began after the week did, the visits since it began and
    /// on what pages (an ordinary visit earlier in the week is no part of it), then the week against the baseline.
    /// </summary>
    private static string VisitsSeen(CustomerSnapshot s, double visits, double baseline)
    {
        var since = s.Text("web.intentBurstSince")
            ?? (s.Number("web.intentBurstDays") is { } days ? s.AsOf.AddDays(-days).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : null);
        var weeks = s.Number("web.intentBaselineWeeks") ?? 0;
        var against = weeks > 0 ? string.Create(CultureInfo.InvariantCulture, $"{baseline:0.#} a week over the {weeks:0} weeks before") : "no earlier history";
        if (since is not null && s.Number("web.intentBurstVisits") is { } inBurst && inBurst < visits)
            return string.Create(CultureInfo.InvariantCulture,
                $"{inBurst:0} visits to buying pages since {since} ({s.Text("web.intentBurstCategories") ?? "intent pages"}); {visits:0} in 7 days, vs {against}");
        var pages = s.Text("web.intentBurstCategories") ?? s.Text("web.intentCategories7d") ?? "intent pages";
        return string.Create(CultureInfo.InvariantCulture, $"{visits:0} visits to buying pages ({pages}) in 7 days{(since is null ? "" : $", since {since}")}, vs {against}");
    }

    /// <summary>The latest notice's match probability and its finding key; nothing when there is none, it is stale, or it is no open call from this customer.</summary>
    private (double Score, string Key) Notice(CustomerSnapshot s, TextModel model, List<Reason> reasons)
    {
        var text = NoticeText(s);
        var age = s.Number("news.daysSince");
        if (text.Length == 0 || age > p.NoticeDays)
            return (0, "");
        var (field, value, name) = Named(s);
        var buyer = s.Text("news.buyer");
        var customer = s.Text(CustomerNameField);
        if (NoticeChecks.IsAward(s.Text("news.title") ?? "", s.Text("news.description")))
        {
            reasons.Add(new Reason(field, value, 0, s.EventIds(field),
                $"{name} is a contract award or result notice, not an open call: nothing to bid on"));
            return (0, "");
        }
        if (buyer is not null && customer is not null && !NoticeChecks.SameOrganisation(buyer, customer))
        {
            reasons.Add(new Reason("news.buyer", buyer, 0, [.. s.EventIds("news.buyer"), .. s.EventIds(CustomerNameField)],
                $"{name} is from {buyer}, not {customer}: not this customer's notice"));
            return (0, "");
        }
        var c = model.Class(TenderParameters.MatchClass)!;
        var x = model.Vectorize(text);
        var score = Math.Round(TextModel.Probability(c, x), 4);
        var terms = string.Join(", ", Evidence(model.TopTerms(c, x, 40), buyer, customer));
        var ago = age switch
        {
            null => null,
            0 => "today",
            1 => "yesterday",
            var d => string.Create(CultureInfo.InvariantCulture, $"{d:0} days ago"),
        };
        // The date itself: a brief is read days after it was written, and one written from a backfill says "today" of another day.
        var when = (s.Text("news.date"), ago) switch
        {
            ({ } date, { } rel) => $"{date} ({rel})",
            ({ } date, null) => date,
            (null, { } rel) => rel,
            _ => "recently",
        };
        reasons.Add(new Reason(field, value, score, s.EventIds(field), string.Create(CultureInfo.InvariantCulture,
            $"{name}{(buyer is null ? "" : $" from {buyer}")}, published {when}, matches our product category (p {score:0.00}{(terms.Length > 0 ? $"; on: {terms}" : "")})")));
        // An untitled notice is keyed by its whole text, as before: two RFPs from one buyer may begin alike.
        return (score, $"notice:{NoticeChecks.Normalize(s.Text("news.title") ?? text)}|{NoticeChecks.Normalize(buyer ?? "")}");
    }

    /// <summary>
    /// The model's strongest terms that a CSM can read as evidence (at most 3): whole words and word pairs, not character
    /// fragments; no term with a digit (a solicitation number such as W6369); none made only of the buyer's or the customer's
    /// own name ("shared services"); no word already inside a pair shown.
    /// </summary>
    private static IEnumerable<string> Evidence(IReadOnlyList<(string Term, double Contribution)> top, string? buyer, string? customer)
    {
        var names = $"{NoticeChecks.Normalize(buyer ?? "")} {NoticeChecks.Normalize(customer ?? "")}".Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        var shown = new List<string>();
        foreach (var (term, _) in top)
        {
            if (!(term.StartsWith("w ", StringComparison.Ordinal) || term.StartsWith("b ", StringComparison.Ordinal)))
                continue;
            var words = term[2..].Trim();
            var parts = words.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 0 || words.Any(char.IsDigit) || parts.All(names.Contains)
                || shown.Any(t => $" {t} ".Contains($" {words} ", StringComparison.Ordinal) || $" {words} ".Contains($" {t} ", StringComparison.Ordinal)))
                continue;
            shown.Add(words);
            if (shown.Count == 3)
                break;
        }
        return shown;
    }
}
