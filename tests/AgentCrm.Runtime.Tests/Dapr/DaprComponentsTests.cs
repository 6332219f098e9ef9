using AgentCrm.Dapr;
using YamlDotNet.RepresentationModel;

namespace AgentCrm.Runtime.Tests.Dapr;

/// <summary>The dapr/ folder the README's `dapr run` commands point at agrees with what the app expects.</summary>
public sealed class DaprComponentsTests
{
    private static readonly string DaprDir = Path.Combine(FindRepoRoot(), "dapr");

    [Theory]
    [InlineData("components", "state.redis")]
    [InlineData("components-postgresql", "state.postgresql")]
    public void ResourcesFolder_HasOneActorStateStoreAndThePubSubTheAppPublishesTo(string folder, string stateStoreType)
    {
        var documents = Directory.GetFiles(Path.Combine(DaprDir, folder), "*.yaml").Select(Load).ToList();
        var components = documents.Where(d => Scalar(d, "kind") == "Component").ToList();

        var actorStores = components.Where(c => Metadata(c).GetValueOrDefault("actorStateStore") == "true").ToList();
        var store = Assert.Single(actorStores);
        Assert.Equal(stateStoreType, Scalar(Child(store, "spec"), "type"));
        var pubsub = Assert.Single(components, c => Scalar(Child(c, "metadata"), "name") == DaprOptions.DefaultPubSubName);
        Assert.StartsWith("pubsub.", Scalar(Child(pubsub, "spec"), "type"), StringComparison.Ordinal);
        var resiliency = Assert.Single(documents, d => Scalar(d, "kind") == "Resiliency");
        var targets = (YamlMappingNode)Child(Child(Child(resiliency, "spec"), "targets"), "components");
        Assert.True(targets.Children.ContainsKey(new YamlScalarNode(DaprOptions.DefaultPubSubName)), "the resiliency policy must target the pub/sub component");
    }

    [Fact]
    public void ConfigFile_IsADaprConfiguration()
    {
        var config = Load(Path.Combine(DaprDir, "config.yaml"));

        Assert.Equal("Configuration", Scalar(config, "kind"));
        Assert.Equal("agentcrm", Scalar(Child(config, "metadata"), "name"));
    }

    private static YamlMappingNode Load(string path)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(path);
        stream.Load(reader);
        return (YamlMappingNode)stream.Documents.Single().RootNode;
    }

    private static YamlMappingNode Child(YamlMappingNode node, string key) => (YamlMappingNode)node.Children[new YamlScalarNode(key)];

    private static string? Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? ((YamlScalarNode)value).Value : null;

    private static Dictionary<string, string?> Metadata(YamlMappingNode component) =>
        ((YamlSequenceNode)Child(component, "spec").Children[new YamlScalarNode("metadata")]).Children
            .Cast<YamlMappingNode>()
            .ToDictionary(m => Scalar(m, "name")!, m => Scalar(m, "value"));

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "AgentCrm.sln")))
            dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("AgentCrm.sln not found above the test's output folder.");
    }
}
