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
        using var evaluate = await app.Client.PostAsync("/v1/agents/renewal-risk/versions/1.0.1/evaluate", Form());

        // `cases` is accepted on /v1/cases too, but not named there: the message lists file/events, so it suggests neither.
        Assert.Equal("Unknown part 'caseSet'; a case upload is `file` + `mapping` (a tabular CSV and its YAML mapping) or `events` + `labels` (an NDJSON timeline and its labels CSV).",
            (await cases.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").GetProperty("caseSet")[0].GetString());
        Assert.Equal("Unknown part 'caseSet' (did you mean cases?); a case upload is `cases` + `mapping` (a tabular CSV and its YAML mapping) or `cases` + `labels` (an NDJSON timeline and its labels CSV).",
            (await evaluate.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").GetProperty("caseSet")[0].GetString());
    }

    /// <summary>
    /// The suggestion is one of the names the message lists: `cases` and `file` are accepted aliases of each other's endpoint
    /// ("did you mean cases?" beside "a case upload is `file` + … or `events` + …" sent callers to a name it did not list).
    /// </summary>
    [Fact]
    public async Task UnknownPart_IsToldOnlyTheDocumentedNamesItMayHaveMeant()
    {
        await using var app = await AgentCrmApp.StartAsync();
        static MultipartFormDataContent Form(string part) => new() { { new StringContent("x"), part } };

        using var caseOnCases = await app.Client.PostAsync("/v1/cases/mine", Form("case"));
        using var evntsOnCases = await app.Client.PostAsync("/v1/cases/mine", Form("evnts"));
        using var filOnEvaluate = await app.Client.PostAsync("/v1/agents/renewal-risk/versions/1.0.1/evaluate", Form("fil"));
        using var caseOnEvaluate = await app.Client.PostAsync("/v1/agents/renewal-risk/versions/1.0.1/evaluate", Form("case"));

        Assert.StartsWith("Unknown part 'case'; a case upload is `file`",
            (await caseOnCases.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").GetProperty("case")[0].GetString(), StringComparison.Ordinal);
        Assert.StartsWith("Unknown part 'evnts' (did you mean events?);",
            (await evntsOnCases.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").GetProperty("evnts")[0].GetString(), StringComparison.Ordinal);
        Assert.StartsWith("Unknown part 'fil'; a case upload is `cases`",
            (await filOnEvaluate.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").GetProperty("fil")[0].GetString(), StringComparison.Ordinal);
        Assert.StartsWith("Unknown part 'case' (did you mean cases?);",
            (await caseOnEvaluate.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").GetProperty("case")[0].GetString(), StringComparison.Ordinal);
    }

    /// <summary>
    /// A part sent as a text field (curl's -F "file=&lt;x.csv" sends the file's content so) is told to be sent as a file, not
    /// that it is missing: "`file` is required" answered a request that sent it (qa44d). Nothing is stored.
    /// </summary>
    [Fact]
    public async Task PartsSentAsTextFields_AreToldToBeSentAsFiles_NotThatTheyAreMissing()
    {
        await using var app = await AgentCrmApp.StartAsync();
        const string Csv = "id,tickets,churned\nc1,3,1\nc2,0,0\n";
        const string Mapping = "name: mine\nscenario: renewal-risk\nid: id\nlabel: { column: churned, positive: \"1\", negative: \"0\" }\nfields:\n  - { column: tickets, field: tickets.open, type: number }\n";

        using var cases = await app.Client.PostAsync("/v1/cases/mine", new MultipartFormDataContent
        {
            { new StringContent(Csv), "file" },
            { new StringContent(Mapping), "mapping" },
        });
        using var evaluate = await app.Client.PostAsync("/v1/agents/renewal-risk/versions/1.0.1/evaluate", new MultipartFormDataContent
        {
            { new StringContent(Csv), "cases" },
            { new ByteArrayContent(Encoding.UTF8.GetBytes(Mapping)), "mapping", "mapping.yaml" },
        });

        var errors = (await cases.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors");
        Assert.Equal("`file` is a file, not a text field: send it as -F file=@PATH (-F \"file=<PATH\" sends the file's content as a text field).",
            errors.GetProperty("file")[0].GetString());
        Assert.Equal("`mapping` is a file, not a text field: send it as -F mapping=@PATH (-F \"mapping=<PATH\" sends the file's content as a text field).",
            errors.GetProperty("mapping")[0].GetString());
        var evaluateErrors = (await evaluate.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors");
        Assert.Equal(["cases"], evaluateErrors.EnumerateObject().Select(e => e.Name));
        Assert.StartsWith("`cases` is a file, not a text field", evaluateErrors.GetProperty("cases")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Client.GetAsync("/v1/cases/mine")).StatusCode);
    }
}
