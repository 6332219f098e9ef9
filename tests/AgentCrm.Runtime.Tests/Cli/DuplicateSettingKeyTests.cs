using System.Text;
using AgentCrm.Cli;

namespace AgentCrm.Runtime.Tests.Cli;

/// <summary>Where a settings file sets a key twice, as the JSON configuration provider forms keys: paths, any case.</summary>
public sealed class DuplicateSettingKeyTests
{
    private static (long Line, long Position)? Find(string json, string key) => DuplicateSettingKey.Find(Encoding.UTF8.GetBytes(json), key);

    [Fact]
    public void Find_TheSameNameTwiceInASection_InOtherLetters_IsTheSecondName() =>
        Assert.Equal((4, 5), Find("{\n  \"Intake\": {\n    \"MaxBodyBytes\": 1,\n    \"MAXBODYBYTES\": 3 }\n}", "Intake:MaxBodyBytes"));

    [Fact]
    public void Find_AKeyWithColonsBesideItsSection_AndAListItemSetByIndex_AreDuplicates()
    {
        // "Intake:MaxBodyBytes" at the top level is the key the Intake section sets too.
        Assert.Equal((1, 33), Find("""{"Intake": {"MaxBodyBytes": 1}, "Intake:MaxBodyBytes": 2}""", "Intake:MaxBodyBytes"));
        // A list's first item is key "…:0": set by that name first, then as the item (where the value is).
        Assert.Equal((1, 40), Find("""{"Auth:Keys:0": "a", "Auth": {"Keys": ["b"]}}""", "Auth:Keys:0"));
    }

    [Fact]
    public void Find_ASectionGivenTwiceWithOtherKeys_IsNoDuplicate_AndABomIsSkipped()
    {
        // The provider merges the two sections: only a key set twice is refused.
        Assert.Null(Find("\uFEFF{\"Intake\": {\"A\": 1}, \"Intake\": {\"B\": 2}}", "Intake:A"));
        Assert.Equal((1, 33), Find("\uFEFF{\"Intake\": {\"A\": 1}, \"Intake\": {\"A\": 2}}", "Intake:A"));
    }

    [Fact]
    public void Find_NotJson_IsNull() =>
        Assert.Null(Find("{\"Intake\": {\"A\": 1", "Intake:A"));
}
