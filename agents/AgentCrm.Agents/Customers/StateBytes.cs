using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace AgentCrm.Agents.Customers;

/// <summary>
/// Holds a customer's whole state within <see cref="CustomerState.MaxStateBytes"/> as saved. Part of the fold, so the actor
/// hosts and the sandbox's timeline replay forget by the same rule: a state past it forgets, a step at a time, what the agents
/// read least, down to <see cref="CustomerState.ShedToBytes"/> — the oldest web visits and visitors (another domain's first)
/// past the newest <see cref="WebKeptFirst"/> of each, the older documents' and notices' texts, count evidence beyond the
/// newest id, tickets (resolved first), invoices (paid first), failed payments kept per invoice, payments waiting for their
/// invoice, the rest of the visits and visitors, and last the newest document's and notice's text.
/// Measured only when a bound on it passes the limit: each event adds at most what its id, type, source and attributes could
/// take, a few times over (<see cref="Bound"/>), and the actor's own entries are added as it writes them (<see cref="Grew"/>),
/// so a state is serialized to measure it about once an activation, every few events only near the limit with long ids.
/// </summary>
public static class StateBytes
{
    // As the hosts write state (the actor state manager's encoder; the state's type info has none of its own).
    private static readonly JsonWriterOptions Writer = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    /// <summary>The bytes the state takes saved: the JSON the hosts write for it (a runtime test holds them to it).</summary>
    public static long Of(CustomerState state)
    {
        var counter = new Counter();
        using (var writer = new Utf8JsonWriter(counter, Writer))
            JsonSerializer.Serialize(writer, state, CustomerStateJson.Default.CustomerState);
        return counter.Written;
    }

    /// <summary>Brings the state within <see cref="CustomerState.MaxStateBytes"/> after <paramref name="e"/> was folded into it.</summary>
    internal static void Fit(CustomerState state, CrmEvent e)
    {
        if (state.BytesBound is { } bound && bound + Bound(e) is var grown && grown <= CustomerState.MaxStateBytes)
        {
            state.BytesBound = grown;
            return;
        }
        var bytes = Of(state);
        if (bytes > CustomerState.MaxStateBytes)
            while (bytes > CustomerState.ShedToBytes && Shed(state))
                bytes = Of(state);
        state.BytesBound = bytes;
    }

    /// <summary>
    /// At least what folding the event adds to the state as saved: its id is kept up to nine times (recent ids, a record, the
    /// profile's fields, count evidence), its type four (count keys), its source twice, each string attribute at most twice
    /// (a visitor's domain, a notice filed from a document), every character at most 6 bytes; a few kilobytes for the rest.
    /// </summary>
    internal static long Bound(CrmEvent e)
    {
        long chars = 16L * e.Id.Length + 4L * e.Type.Length + 2L * (e.Source?.Length ?? 0);
        // The attributes as sent, read without a copy: at least as many bytes as any value kept from them has characters, a
        // number read as text (its digits) included (rev39 #1: a document's text sent as 200,000 digits went uncounted).
        if (e.Attributes.ValueKind != JsonValueKind.Undefined)
            chars += 2L * JsonMarshal.GetRawUtf8Value(e.Attributes).Length;
        return chars * StoredText.MaxBytesPerChar + 4096;
    }

    /// <summary>
    /// Something outside the fold added to the state an entry under <paramref name="key"/> of a few numbers (the actor's
    /// cooldown marks, a delivery number recorded for a duplicate): counted in the bound, so the next fold measures the state
    /// when it may pass the limit.
    /// </summary>
    public static void Grew(CustomerState state, string key)
    {
        if (state.BytesBound is { } bound)
            state.BytesBound = bound + (long)StoredText.MaxBytesPerChar * key.Length + 128;
    }

    /// <summary>Visits and visitors kept while older texts, evidence and records go: the newest, which the web fields read.</summary>
    public const int WebKeptFirst = 256;

    /// <summary>Forgets one step's worth (see the class); false when nothing is left to forget.</summary>
    private static bool Shed(CustomerState s)
    {
        if (ForgetVisits(s, WebKeptFirst) || ForgetVisitors(s, WebKeptFirst))
            return true;
        if (HalveOlder(s.Documents, d => d.Text, (d, text) => d with { Text = text })
            || HalveOlder(s.News, n => n.Description, (n, text) => n with { Description = text }))
            return true;
        var evidence = false;
        foreach (var recent in s.CountEvidence.Values)
            evidence |= recent.KeepNewest(recent.Ids.Count / 2);
        if (evidence)
            return true;
        return Forget(s.Tickets.Count, () => RecordFolds.ForgetTicket(s))
            || Forget(s.Invoices.Count, () => RecordFolds.ForgetInvoice(s))
            || Forget(s.FailuresByInvoice.Count, () => RecordFolds.ForgetFailedInvoice(s))
            || Forget(s.PendingPayments.Count, () => RecordFolds.EvictOldest(s.PendingPayments))
            || ForgetVisits(s, 0) || ForgetVisitors(s, 0)
            || HalveNewest(s.Documents, d => d.Text, (d, text) => d with { Text = text })
            || HalveNewest(s.News, n => n.Description, (n, text) => n with { Description = text });
    }

    private static int Quarter(int count) => Math.Max(1, count / 4);

    /// <summary>Forgets the oldest quarter of the visits past <paramref name="kept"/>.</summary>
    private static bool ForgetVisits(CustomerState s, int kept)
    {
        if (s.WebVisits.Count <= kept)
            return false;
        s.WebVisits.RemoveRange(0, Math.Min(Quarter(s.WebVisits.Count), s.WebVisits.Count - kept));
        return true;
    }

    /// <summary>Forgets a quarter of the visitors past <paramref name="kept"/>, another domain's first.</summary>
    private static bool ForgetVisitors(CustomerState s, int kept)
    {
        if (s.Visitors.Count <= kept)
            return false;
        for (var n = Math.Min(Quarter(s.Visitors.Count), s.Visitors.Count - kept); n > 0; n--)
            CustomerTimeline.ForgetVisitor(s);
        return true;
    }

    private static bool Forget(int count, Action forgetOne)
    {
        if (count == 0)
            return false;
        for (var n = Quarter(count); n > 0; n--)
            forgetOne();
        return true;
    }

    /// <summary>Halves what the texts of all items but the newest take (the oldest's cut first); false when they take nothing.</summary>
    private static bool HalveOlder<T>(List<T> list, Func<T, string?> text, Func<T, string, T> cut)
    {
        if (list.Count < 2)
            return false;
        var older = list.Take(list.Count - 1).Sum(item => StoredText.Bytes(text(item)));
        if (older == 0)
            return false;
        CustomerTimeline.FitText(list, StoredText.Bytes(text(list[^1])) + older / 2, text, cut);
        return true;
    }

    /// <summary>Halves the newest item's text, once the others' take nothing; false when it takes nothing either.</summary>
    private static bool HalveNewest<T>(List<T> list, Func<T, string?> text, Func<T, string, T> cut)
    {
        var total = list.Sum(item => StoredText.Bytes(text(item)));
        if (total == 0)
            return false;
        CustomerTimeline.FitText(list, total / 2, text, cut);
        return true;
    }

    /// <summary>Counts what the writer writes and keeps none of it (one scratch array per thread).</summary>
    private sealed class Counter : IBufferWriter<byte>
    {
        [ThreadStatic] private static byte[]? t_scratch;

        public long Written { get; private set; }

        public void Advance(int count) => Written += count;

        public Memory<byte> GetMemory(int sizeHint = 0) => Scratch(sizeHint);

        public Span<byte> GetSpan(int sizeHint = 0) => Scratch(sizeHint);

        private static byte[] Scratch(int sizeHint)
        {
            if (t_scratch is not { } scratch || scratch.Length < Math.Max(sizeHint, 1))
                t_scratch = scratch = new byte[Math.Max(16 * 1024, sizeHint)];
            return scratch;
        }
    }
}
