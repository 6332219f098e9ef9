using System.Net;
using System.Text;

namespace AgentCrm.Runtime.Tests.Server;

/// <summary>
/// A multipart part an upload does not read is refused, naming it, as a case upload refuses one: a misspelt part is
/// never ignored with what it carried (`-F tag=renewal` would have stored the document with no tags).
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
}
