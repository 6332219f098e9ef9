using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using AgentCrm.Runtime.Tests.EndToEnd;

namespace AgentCrm.Runtime.Tests.Sandbox;

/// <summary>A labeled timeline case set built from hand-written histories: churners look at risk, the rest healthy.</summary>
public static class CaseFiles
{
    public static (string Ndjson, string Labels) Timeline(int customers, DateTimeOffset cutoff)
    {
        var events = new List<JsonObject>();
        var labels = new StringBuilder("customerId,cutoff,label\n");
        for (var i = 0; i < customers; i++)
        {
            var id = $"case-{i:000}";
            var churned = i % 3 == 0;
            events.AddRange(churned ? Timelines.AtRisk(id, cutoff) : Timelines.Healthy(id, cutoff));
            labels.Append($"{id},{cutoff:yyyy-MM-ddTHH:mm:ssZ},{(churned ? 1 : 0)}\n");
        }
        return (string.Join("\n", events.Select(e => e.ToJsonString())), labels.ToString());
    }

    public static MultipartFormDataContent Upload(string ndjson, string labels)
    {
        var form = new MultipartFormDataContent();
        var e = new StringContent(ndjson, Encoding.UTF8);
        e.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
        form.Add(e, "events", "events.ndjson");
        form.Add(new StringContent(labels, Encoding.UTF8, "text/csv"), "labels", "labels.csv");
        return form;
    }
}
