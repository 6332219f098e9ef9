using System.Text.Json;

namespace AgentCrm.Runtime.Tests.Sandbox;

public static class JobPolling
{
    /// <summary>Polls <c>GET /v1/jobs/{id}</c> until the job is no longer running (two minutes at most); returns it.</summary>
    public static async Task<JsonElement> WaitAsync(HttpClient client, string jobId)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            var job = JsonDocument.Parse(await client.GetStringAsync($"/v1/jobs/{jobId}")).RootElement.Clone();
            if (job.GetProperty("state").GetString() != "running")
                return job;
            Assert.True(DateTime.UtcNow < deadline, $"job {jobId} still running after two minutes: {job}");
            await Task.Delay(100);
        }
    }
}
