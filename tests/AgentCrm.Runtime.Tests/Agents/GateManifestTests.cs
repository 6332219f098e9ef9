using AgentCrm.Agents;

namespace AgentCrm.Runtime.Tests.Agents;

/// <summary>The gate's optional criteria in a manifest: validated, and absent from the content hash when not set.</summary>
public sealed class GateManifestTests
{
    private const string Base = """
        {"id":"gate-fields","version":"1.0.0","kind":"renewal-risk","scenario":"renewal-risk","purpose":"customer-success",
         "subscribes":["nps"],"reads":["nps.latest"],
         "gate":{"minCases":200,"minPrecision":0.5,"minRecall":0.5GATE}}
        """;

    private static string With(string extra) => Base.Replace("GATE", extra, StringComparison.Ordinal);

    [Fact]
    public void MaxErrorRateAndMinRocAuc_AreRead_DefaultsWhenAbsent()
    {
        var plain = ManifestReader.Parse(With(""), "application/json").Manifest;
        Assert.Null(plain.Gate.MaxErrorRate);
        Assert.Equal(0.01, plain.Gate.EffectiveMaxErrorRate);
        Assert.Null(plain.Gate.MinRocAuc);

        var set = ManifestReader.Parse(With(""","maxErrorRate":0.05,"minRocAuc":0.6"""), "application/json").Manifest;
        Assert.Equal(0.05, set.Gate.EffectiveMaxErrorRate);
        Assert.Equal(0.6, set.Gate.MinRocAuc);
    }

    [Fact]
    public void AbsentCriteria_LeaveTheContentHashAsBefore_SetOnesChangeIt()
    {
        var plain = ManifestReader.Parse(With(""), "application/json").Manifest;
        var json = System.Text.Json.JsonSerializer.Serialize(plain, ManifestReader.Json);

        // Manifests registered before these fields existed keep their hash: nothing new is serialised when absent.
        Assert.DoesNotContain("maxErrorRate", json, StringComparison.Ordinal);
        Assert.DoesNotContain("minRocAuc", json, StringComparison.Ordinal);
        Assert.NotEqual(ManifestReader.ContentHash(plain), ManifestReader.ContentHash(ManifestReader.Parse(With(""","maxErrorRate":0.05"""), "application/json").Manifest));
    }

    [Theory]
    [InlineData(""","maxErrorRate":1.5""", "gate.maxErrorRate")]
    [InlineData(""","maxErrorRate":-0.1""", "gate.maxErrorRate")]
    [InlineData(""","minRocAuc":2""", "gate.minRocAuc")]
    public void OutOfRange_IsRefused_NamingTheField(string extra, string field)
    {
        var ex = Assert.Throws<ManifestException>(() => ManifestReader.Parse(With(extra), "application/json"));

        Assert.Equal([field], ex.Errors.Keys);
    }
}
