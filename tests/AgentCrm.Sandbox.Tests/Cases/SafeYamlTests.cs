using AgentCrm.Sandbox.Cases;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace AgentCrm.Sandbox.Tests.Cases;

public sealed class SafeYamlTests
{
    /// <summary>Ten levels of aliases, each ten times the one before: 10^10 nodes once expanded.</summary>
    public const string AliasBomb = """
        name: bomb
        a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]
        b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]
        c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]
        d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]
        e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]
        f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]
        g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]
        h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g,*g]
        i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h,*h]
        """;

    private static string Flow(int depth) => new string('[', depth) + new string(']', depth);

    private static string Block(int depth) => string.Concat(Enumerable.Range(0, depth).Select(i => new string(' ', 2 * i) + $"k{i}:\n")) + new string(' ', 2 * depth) + "leaf";

    [Theory]
    [InlineData(1)]
    [InlineData(SafeYaml.MaxDepth)]
    public void Load_NestingUpToTheLimit_Loads(int depth)
    {
        Assert.IsType<YamlSequenceNode>(SafeYaml.Load(Flow(depth)).Documents[0].RootNode);
        Assert.IsType<YamlMappingNode>(SafeYaml.Load(Block(depth)).Documents[0].RootNode);
    }

    [Fact]
    public void Load_OneLevelPastTheLimit_ThrowsAtItsLine()
    {
        var ex = Assert.Throws<YamlException>(() => SafeYaml.Load(Block(SafeYaml.MaxDepth + 1)));
        Assert.Equal(SafeYaml.MaxDepth + 1, ex.Start.Line);
        Assert.Contains($"deeper than {SafeYaml.MaxDepth} levels", ex.Message, StringComparison.Ordinal);
        Assert.Throws<YamlException>(() => SafeYaml.Load(Flow(SafeYaml.MaxDepth + 1)));
    }

    /// <summary>Unchecked, YamlDotNet builds this tree recursively and the stack overflow ends the process (this test run with it).</summary>
    [Fact]
    public void Load_HundredThousandOpenBrackets_ThrowsInsteadOfOverflowingTheStack()
    {
        var ex = Assert.Throws<YamlException>(() => SafeYaml.Load("key: " + new string('[', 100_000)));
        Assert.Equal(1, ex.Start.Line);
    }

    [Fact]
    public void Load_AliasBomb_ThrowsAtTheFirstAnchor()
    {
        var ex = Assert.Throws<YamlException>(() => SafeYaml.Load(AliasBomb));
        Assert.Equal(2, ex.Start.Line);
        Assert.Contains("anchors (&a) are not allowed", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_AliasWithoutAnchor_IsRefusedToo()
    {
        var ex = Assert.Throws<YamlException>(() => SafeYaml.Load("a: 1\nb: *a\n"));
        Assert.Equal(2, ex.Start.Line);
        Assert.Contains("aliases (*a) are not allowed", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadTabular_DeepOrAliasedMapping_NamesTheMappingAndLine()
    {
        var csv = "id,tenure,Churn\nc1,2,Yes\n";
        using var data = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(csv));
        using var mapping = new MemoryStream(System.Text.Encoding.UTF8.GetBytes("name: deep\nfields: " + Flow(40) + "\n"));
        var ex = Assert.Throws<CaseSetException>(() => CaseSetLoader.LoadTabular(data, "cases.csv", mapping, "mapping.yaml"));
        Assert.Equal("mapping.yaml", ex.File);
        Assert.Equal(2, ex.Line);
        Assert.Contains("32 levels", ex.Message, StringComparison.Ordinal);
    }
}
