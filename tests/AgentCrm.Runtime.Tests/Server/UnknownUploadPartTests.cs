using System.Net;
using System.Text;

namespace AgentCrm.Runtime.Tests.Server;

/// <summary>
/// A multipart part an upload does not read is refused, naming it, as a case upload refuses one: a misspelt part is
/// never ignored with what it carried (`-F tag=renewal` would have stored the document with no tags). So is a part given
/// twice: only one would be read, and the other dropped unsaid (qa43c #1).
/// </summary>
public sealed class UnknownUploadPartTests
{
    [Fact]
    public async Task DocumentUpload_WithAMisspeltTagsPart_Is400NamingIt_AndStoresNothing()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(Encoding.UTF8.GetBytes("# Renewal playbook\n\nCall early.\n")), "file", "playbook.md" },
            { new StringContent("renewal"), "tag" },
        };

        using var response = await app.Client.PostAsync("/v1/knowledge/documents", form);

        var errors = (await response.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors");
        Assert.Equal("Unknown part 'tag' (did you mean tags?); a document upload is `file` with the fields `id`, `title`, `tags` and `scenario`.",
            errors.GetProperty("tag")[0].GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await app.Client.GetAsync("/v1/knowledge/documents/playbook")).StatusCode);
    }

    [Fact]
    public async Task PluginUpload_WithAMisspeltManifestPart_Is400NamingIt()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent([0x4D, 0x5A, 0, 0]), "assembly", "plugin.dll" },
            { new StringContent("id: x\nversion: 1.0.0\nkind: plugin\n"), "manifest" },
            { new StringContent("kind: plugin\n"), "manfest" },
            { new StringContent("x"), "bogus" },
        };

        using var response = await app.Client.PostAsync("/v1/agents/plugins", form);

        var errors = (await response.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors");
        Assert.Equal("Unknown part 'manfest' (did you mean manifest?); a plugin upload is `assembly` (the .dll) and `manifest` (JSON or YAML, kind: plugin).",
            errors.GetProperty("manfest")[0].GetString());
        Assert.Equal("Unknown part 'bogus'; a plugin upload is `assembly` (the .dll) and `manifest` (JSON or YAML, kind: plugin).",
            errors.GetProperty("bogus")[0].GetString());
    }

    [Fact]
    public async Task DocumentUpload_WithTwoFileParts_Is400NamingFile_AndStoresNeither()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(Encoding.UTF8.GetBytes("# First\n\nOne.\n")), "file", "first.md" },
            { new ByteArrayContent(Encoding.UTF8.GetBytes("# Second\n\nTwo.\n")), "file", "second.md" },
        };

        using var response = await app.Client.PostAsync("/v1/knowledge/documents", form);

        var errors = (await response.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors");
        Assert.Equal("`file` is given 2 times; give each part once.", errors.GetProperty("file")[0].GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await app.Client.GetAsync("/v1/knowledge/documents/first")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Client.GetAsync("/v1/knowledge/documents/second")).StatusCode);
    }

    [Fact]
    public async Task DocumentUpload_WithATitleTwice_OrAnIdInTheFormAndTheQuery_Is400NamingEach()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(Encoding.UTF8.GetBytes("# Playbook\n\nCall early.\n")), "file", "playbook.md" },
            { new StringContent("First"), "title" },
            { new StringContent("Second"), "title" },
            { new StringContent("form-id"), "id" },
        };

        using var response = await app.Client.PostAsync("/v1/knowledge/documents?id=query-id", form);

        var errors = (await response.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors");
        Assert.Equal("`title` is given 2 times; give each part once.", errors.GetProperty("title")[0].GetString());
        Assert.Equal("`id` is given in both the query string and the form; give it once.", errors.GetProperty("id")[0].GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await app.Client.GetAsync("/v1/knowledge/documents/query-id")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Client.GetAsync("/v1/knowledge/documents/form-id")).StatusCode);
    }

    /// <summary>A text field sent as a file (`-F id=@id.txt`) was read by nothing, and the query's id won unsaid (rev43b F1).</summary>
    [Fact]
    public async Task DocumentUpload_WithAnIdOrTitleSentAsAFile_Is400NamingIt_AndStoresNothing()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(Encoding.UTF8.GetBytes("# Playbook\n\nCall early.\n")), "file", "playbook.md" },
            { new ByteArrayContent(Encoding.UTF8.GetBytes("form-id")), "id", "id.txt" },
            { new ByteArrayContent(Encoding.UTF8.GetBytes("Renewal playbook")), "title", "title.txt" },
        };

        using var response = await app.Client.PostAsync("/v1/knowledge/documents?id=query-id", form);

        var errors = (await response.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors");
        Assert.Equal("`id` is a text field, not a file: send it as -F id=value.", errors.GetProperty("id")[0].GetString());
        Assert.Equal("`title` is a text field, not a file: send it as -F title=value.", errors.GetProperty("title")[0].GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await app.Client.GetAsync("/v1/knowledge/documents/query-id")).StatusCode);
    }

    [Fact]
    public async Task CaseUpload_WithTwoFileParts_OrAFileAndEvents_Is400_AndCreatesNoCaseSet()
    {
        await using var app = await AgentCrmApp.StartAsync();
        const string Mapping = "name: two\nscenario: renewal-risk\nid: id\nlabel: { column: churn, positive: \"1\" }\nfields:\n  - { column: x, field: usage.x, type: number }\n";
        static ByteArrayContent Bytes(string text) => new(Encoding.UTF8.GetBytes(text));

        using var twoFiles = new MultipartFormDataContent
        {
            { Bytes("id,x,churn\na,1,1\n"), "file", "a.csv" },
            { Bytes("id,x,churn\nb,2,0\n"), "file", "b.csv" },
            { Bytes(Mapping), "mapping", "two.yaml" },
        };
        using var fileAndEvents = new MultipartFormDataContent
        {
            { Bytes("id,x,churn\na,1,1\n"), "file", "a.csv" },
            { Bytes("{}\n"), "events", "events.ndjson" },
            { Bytes(Mapping), "mapping", "two.yaml" },
        };

        using var first = await app.Client.PostAsync("/v1/cases/two", twoFiles);
        using var second = await app.Client.PostAsync("/v1/cases/two", fileAndEvents);

        Assert.Equal("`file` is given 2 times; give each part once.",
            (await first.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").GetProperty("file")[0].GetString());
        Assert.Equal("One case file per upload: `file` or `events`, not both.",
            (await second.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").GetProperty("events")[0].GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await app.Client.GetAsync("/v1/cases/two")).StatusCode);
    }

    [Fact]
    public async Task PluginUpload_WithTheManifestAsAFileAndAField_Is400NamingManifest()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent([0x4D, 0x5A, 0, 0]), "assembly", "plugin.dll" },
            { new ByteArrayContent(Encoding.UTF8.GetBytes("id: x\nversion: 1.0.0\nkind: plugin\n")), "manifest", "manifest.yaml" },
            { new StringContent("id: y\nversion: 2.0.0\nkind: plugin\n"), "manifest" },
        };

        using var response = await app.Client.PostAsync("/v1/agents/plugins", form);

        Assert.Equal("`manifest` is given 2 times; give each part once.",
            (await response.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").GetProperty("manifest")[0].GetString());
    }
}
