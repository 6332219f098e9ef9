using System.Net;
using System.Text;

namespace AgentCrm.Runtime.Tests.Sandbox;

/// <summary>A case upload that is not one of its two forms is told both forms, with the part names the endpoint reads.</summary>
public sealed class CaseUploadFormTests
{
    [Fact]
    public async Task PostCases_WithAJsonBody_NamesBothForms_FileAndMapping_EventsAndLabels()
    {
        await using var app = await AgentCrmApp.StartAsync();

        using var response = await app.Client.PostAsync("/v1/cases/mine", new StringContent("""{"events":[]}""", Encoding.UTF8, "application/json"));

        // The media type is at fault: 415 naming Content-Type, as every endpoint answers a body of a type it does not read.
        var message = (await response.ProblemAsync(HttpStatusCode.UnsupportedMediaType)).GetProperty("errors").GetProperty("Content-Type")[0].GetString()!;
        Assert.Equal("This endpoint reads multipart/form-data with `file` + `mapping` (a tabular CSV and its YAML mapping) or `events` + `labels` (an NDJSON timeline and its labels CSV), not 'application/json; charset=utf-8'.", message);
    }

    [Fact]
    public async Task UnknownPart_NamesTheFormsOfItsEndpoint()
    {
        await using var app = await AgentCrmApp.StartAsync();
        static MultipartFormDataContent Form() => new() { { new StringContent("x"), "caseSet" } };

        using var cases = await app.Client.PostAsync("/v1/cases/mine", Form());
        using var evaluate = await app.Client.PostAsync("/v1/agents/renewal-risk/versions/1.0.0/evaluate", Form());

        Assert.Equal("Unknown part 'caseSet' (did you mean cases?); a case upload is `file` + `mapping` (a tabular CSV and its YAML mapping) or `events` + `labels` (an NDJSON timeline and its labels CSV).",
            (await cases.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").GetProperty("caseSet")[0].GetString());
        Assert.Equal("Unknown part 'caseSet' (did you mean cases?); a case upload is `cases` + `mapping` (a tabular CSV and its YAML mapping) or `cases` + `labels` (an NDJSON timeline and its labels CSV).",
            (await evaluate.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").GetProperty("caseSet")[0].GetString());
    }
}
