using System.Text;

namespace AgentCrm.Runtime.Tests.Knowledge;

/// <summary>Replacing, deleting, reading and searching one document at once, round after round, over HTTP.</summary>
public sealed class KnowledgeRaceTests
{
    [Fact]
    public async Task ReplaceDeleteAndSearch_Racing_AnswerWithout5xx_AndSearchNeverFindsADeletedDocument()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var problems = new List<string>();
        for (var round = 0; round < 30; round++)
        {
            var text = $"# Renewal playbook {round}\n\n## Churn\n\nCall the customer when usage drops {round}. Offer a discount.\n\n## Escalation\n\nEscalate to the account executive {round}.";
            var answers = await Task.WhenAll(
                app.Client.PostAsync("/v1/knowledge/documents?id=playbook&title=Playbook", new StringContent(text, Encoding.UTF8, "text/markdown")),
                app.Client.PostAsync("/v1/knowledge/documents?id=playbook&title=Playbook", new StringContent(text + " Also.", Encoding.UTF8, "text/markdown")),
                app.Client.DeleteAsync("/v1/knowledge/documents/playbook"),
                app.Client.GetAsync("/v1/knowledge/search?q=usage%20drops%20discount&k=5"),
                app.Client.GetAsync("/v1/knowledge/documents/playbook"),
                app.Client.GetAsync("/v1/knowledge/documents"));
            problems.AddRange(await answers.RaceProblemsAsync($"round {round}"));
            var listed = (await app.GetJsonAsync("/v1/knowledge/documents")).GetProperty("items").EnumerateArray().Any(d => d.GetProperty("id").GetString() == "playbook");
            var hits = (await app.GetJsonAsync("/v1/knowledge/search?q=usage%20drops%20discount&k=5")).ToString();
            if (!listed && hits.Contains("playbook", StringComparison.Ordinal))
                problems.Add($"round {round}: search finds the deleted document: {hits}");
        }
        Assert.Empty(problems);
    }
}
