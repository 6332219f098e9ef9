using System.Text.Encodings.Web;
using System.Text.Json;
using AgentCrm.Agents.Customers;

namespace AgentCrm.Agents.Tests.Customers;

/// <summary>
/// The documents and news a customer's state keeps are bounded in bytes as saved, not only in characters: under Dapr the
/// whole state goes to daprd in one request of at most 4 MiB, and five 200,000-character contracts took 6 bytes a letter.
/// </summary>
public sealed class DocumentBytesTests
{
    /// <summary>How the actor hosts write state (ActorStateManager.Json's encoder; the runtime's tests check the saved bytes).</summary>
    private static readonly JsonSerializerOptions Stored = new(JsonSerializerDefaults.Web) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly DateTimeOffset Now = new(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);

    private static CrmEvent E(string id, string type, DateTimeOffset at, object attributes) =>
        new(id, "c-1", type, at, "test", JsonSerializer.SerializeToElement(attributes));

    private static string Repeat(string unit, int chars) => string.Concat(Enumerable.Repeat(unit, chars / unit.Length + 1))[..chars];

    /// <summary>Built here, not as theory data: a lone surrogate does not survive the test runner's serialisation of it.</summary>
    private static readonly string[] Texts =
    [
        "plain ascii",
        "Договор поставки № 17, «Ромашка»",
        "契約書 第一条 東京都",
        "\u0001\u001f\u007f\u0085\n\r\t\b\f \"quoted\" back\\slash </script> & + '",
        "😀 emoji 🚀 and \u2028 \u2029 \ufeff \ufffe \uffff \u0378 unassigned",
        "lone \ud800 high and \udc00 low, and a pair cut at the end \ud83d",
    ];

    [Fact]
    public void Bytes_AnyText_IsWhatTheStateWriterWrites()
    {
        foreach (var text in Texts)
            AssertMeasured(text);
    }

    private static void AssertMeasured(string text)
    {
        var written = JsonSerializer.SerializeToUtf8Bytes(text, Stored).Length - 2;

        Assert.Equal(written, StoredText.Bytes(text));
        Assert.InRange(StoredText.Bytes(text), 0, text.Length * StoredText.MaxBytesPerChar);
        // Every start fits exactly where it should: all it keeps takes at most the budget, one more character would not.
        for (var budget = 0; budget <= written; budget++)
        {
            var length = StoredText.FittingLength(text, budget, out var bytes);
            Assert.Equal(StoredText.Bytes(text[..length]), bytes);
            Assert.InRange(bytes, 0, budget);
            Assert.False(length > 0 && char.IsHighSurrogate(text[length - 1]) && length < text.Length && char.IsLowSurrogate(text[length]), "a surrogate pair was split");
            if (length < text.Length)
                Assert.True(StoredText.Bytes(text[..Math.Min(text.Length, length + (char.IsHighSurrogate(text[length]) ? 2 : 1))]) > budget);
        }
    }

    [Fact]
    public void Fold_FiveCyrillicContracts_KeepsThemWhole()
    {
        var s = new CustomerState();
        for (var i = 0; i < 5; i++)
            CustomerTimeline.Apply(s, E($"doc-{i}", "document", Now.AddDays(i - 5), new { docType = "contract", text = Repeat("Договор поставки ", CustomerState.MaxDocumentChars) }));

        Assert.Equal(5, s.Documents.Count);
        Assert.All(s.Documents, d => Assert.Equal(CustomerState.MaxDocumentChars, d.Text.Length));
    }

    [Fact]
    public void Fold_FiveCjkContracts_CutsTheOldestTextFirst_AndTheNewestIsWhole()
    {
        var text = Repeat("契約書第一条", CustomerState.MaxDocumentChars); // 600,000 bytes each: 3,000,000 for five
        var s = new CustomerState();
        // Out of order: the late oldest is cut first wherever it lands.
        foreach (var i in new[] { 1, 2, 3, 4, 0 })
            CustomerTimeline.Apply(s, E($"doc-{i}", "document", Now.AddDays(i - 5), new { text }));

        Assert.Equal(["doc-0", "doc-1", "doc-2", "doc-3", "doc-4"], s.Documents.Select(d => d.EventId));
        Assert.Equal("", s.Documents[0].Text);
        Assert.StartsWith(s.Documents[1].Text, text, StringComparison.Ordinal);
        Assert.InRange(s.Documents[1].Text.Length, 1, text.Length - 1);
        Assert.All(s.Documents.Skip(2), d => Assert.Equal(text, d.Text));
        Assert.InRange(s.Documents.Sum(d => StoredText.Bytes(d.Text)), CustomerState.MaxDocumentTextBytes - 100, CustomerState.MaxDocumentTextBytes);
        Assert.Equal(text, SnapshotBuilder.Build(s, Now).Text("documents.text"));
    }

    [Fact]
    public void Fold_WorstCaseDocumentsAndNews_StayWithinMaxDocumentsAndNewsBytes()
    {
        // What takes the most bytes a character: control characters and emoji (6), quotes (2); ids of emoji.
        string[] worst = ["\u0001", "😀", "\u0085\"\\", "\u0378"];
        string Id(string kind, int i) => $"{kind}{i}-" + Repeat("😀", 194);
        var s = new CustomerState();
        for (var i = 0; i < CustomerState.DocumentCapacity + 2; i++)
        {
            var unit = worst[i % worst.Length];
            CustomerTimeline.Apply(s, E(Id("d", i), "document", Now.AddHours(i - 100), new
            {
                docType = Repeat(unit, CustomerState.MaxTitleChars + 5),
                title = Repeat(unit, CustomerState.MaxTitleChars + 5),
                text = Repeat(unit, CustomerState.MaxDocumentChars + 5),
            }));
        }
        for (var i = 0; i < CustomerState.NewsCapacity + 3; i++)
        {
            var unit = worst[i % worst.Length];
            CustomerTimeline.Apply(s, E(Id("n", i), "news", Now.AddHours(i - 50), new
            {
                title = Repeat(unit, CustomerState.MaxTitleChars + 5),
                buyer = Repeat(unit, CustomerState.MaxTitleChars + 5),
                description = Repeat(unit, CustomerState.MaxNewsDescriptionChars + 5),
            }));
        }

        var documents = JsonSerializer.SerializeToUtf8Bytes(s.Documents, Stored).Length;
        var news = JsonSerializer.SerializeToUtf8Bytes(s.News, Stored).Length;

        Assert.InRange(documents + news, 0, CustomerState.MaxDocumentsAndNewsBytes);
        Assert.InRange(s.Documents.Sum(d => StoredText.Bytes(d.Text)), 0, CustomerState.MaxDocumentTextBytes);
        Assert.InRange(s.News.Sum(n => StoredText.Bytes(n.Description)), 0, CustomerState.MaxNewsDescriptionBytes);
        // The newest of each, which the agents read, is whole: it fits its budget alone.
        Assert.Equal(CustomerState.MaxDocumentChars, s.Documents[^1].Text.Length);
        Assert.Equal(CustomerState.MaxNewsDescriptionChars, s.News[^1].Description!.Length);
        Assert.True(CustomerState.MaxDocumentChars * StoredText.MaxBytesPerChar <= CustomerState.MaxDocumentTextBytes);
        Assert.True(CustomerState.MaxNewsDescriptionChars * StoredText.MaxBytesPerChar <= CustomerState.MaxNewsDescriptionBytes);
    }
}
