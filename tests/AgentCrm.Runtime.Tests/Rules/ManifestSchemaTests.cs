using System.Text.Json;
using AgentCrm.Agents;

namespace AgentCrm.Runtime.Tests.Rules;

public sealed class ManifestSchemaTests
{
    internal static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "AgentCrm.sln")))
            dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Expected the tests to run inside the repository (AgentCrm.sln not found above the test output).");
    }

    [Fact]
    public void CheckedInSchema_EqualsTheGeneratedOne()
    {
        var path = Path.Combine(RepositoryRoot(), ManifestSchema.RepositoryPath);
        var generated = ManifestSchema.Generate();
        // Regenerate after changing the manifest types: AGENTCRM_UPDATE_SCHEMA=1 dotnet test --filter CheckedInSchema
        if (Environment.GetEnvironmentVariable("AGENTCRM_UPDATE_SCHEMA") == "1")
            File.WriteAllText(path, generated);
        Assert.True(File.Exists(path), $"Expected the schema at {ManifestSchema.RepositoryPath}; generate it with AGENTCRM_UPDATE_SCHEMA=1.");
        Assert.Equal(generated, File.ReadAllText(path).ReplaceLineEndings("\n"));
    }

    [Fact]
    public void Schema_DescribesRulesConditions_AndRequiresIdVersionKind()
    {
        var schema = JsonDocument.Parse(ManifestSchema.Generate()).RootElement;
        Assert.Equal(["id", "kind", "version"], Strings(schema.GetProperty("required")).Order(StringComparer.Ordinal));
        var rules = schema.GetProperty("properties").GetProperty("rules");
        var condition = rules.GetProperty("properties").GetProperty("conditions").GetProperty("items");
        Assert.Equal(["name", "when"], Strings(condition.GetProperty("required")).Order(StringComparer.Ordinal));
        Assert.Contains("true/false expression", condition.GetProperty("properties").GetProperty("when").GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.Equal(["deliverThenVeto", "reviewBeforeDelivery"], Strings(schema.GetProperty("properties").GetProperty("vetoPolicy").GetProperty("enum")));
    }

    private static List<string> Strings(JsonElement array) => array.EnumerateArray().Select(e => e.GetString()!).ToList();
}
