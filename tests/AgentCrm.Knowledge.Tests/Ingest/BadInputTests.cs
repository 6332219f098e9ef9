using System.Text;
using AgentCrm.Knowledge.Ingest;

namespace AgentCrm.Knowledge.Tests.Ingest;

public sealed class BadInputTests
{
    public static TheoryData<byte[], string> BadDocuments => new()
    {
        { [], "empty" },
        { Encoding.UTF8.GetBytes("   \n\n  "), "empty" },
        { [0x50, 0x4B, 0x03, 0x04, 0x00, 0x00, 0x10], "binary" },
        { [0x48, 0x69, 0xC3, 0x28, 0x21], "UTF-8" },
        { Encoding.UTF8.GetBytes(new string('a', 2048)), "limit" },
        { Encoding.UTF8.GetBytes("# Only a heading"), "no text" },
    };

    [Theory]
    [MemberData(nameof(BadDocuments))]
    public async Task IngestAsync_BadInput_ThrowsClearErrorAndStoresNothing(byte[] content, string expected)
    {
        using var data = new TestData();
        using var service = data.CreateService(out var store, o => o.MaxDocumentBytes = 1024);
        using var _ = store;

        var error = await Assert.ThrowsAsync<KnowledgeInputException>(() => service.IngestAsync(content, DocumentType.Markdown, "bad"));

        Assert.Contains(expected, error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(service.ListDocuments());
        Assert.Equal(0, store.Count);
    }

    [Theory]
    [InlineData("pdf")]
    [InlineData("application/octet-stream")]
    public void Parse_UnknownType_Throws(string type)
    {
        var error = Assert.Throws<KnowledgeInputException>(() => DocumentTypes.Parse(type));

        Assert.Contains("Unknown document type", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("md", DocumentType.Markdown)]
    [InlineData("text/html; charset=utf-8", DocumentType.Html)]
    [InlineData(".TXT", DocumentType.Text)]
    public void Parse_KnownType_Maps(string type, DocumentType expected) => Assert.Equal(expected, DocumentTypes.Parse(type));

    [Fact]
    public async Task IngestAsync_InvalidId_ThrowsAndStoresNothing()
    {
        using var data = new TestData();
        using var service = data.CreateService();

        await Assert.ThrowsAsync<KnowledgeInputException>(() => service.IngestAsync("Some text.", DocumentType.Text, "../etc/passwd"));

        Assert.Empty(service.ListDocuments());
    }
}
