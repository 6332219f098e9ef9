using AgentCrm.Agents.Customers;

namespace AgentCrm.Agents.Tests.Customers;

/// <summary>Every event type names the consent categories its raw body holds (evidence quotes a body only when all are allowed).</summary>
public sealed class EventCategoriesTests
{
    [Fact]
    public void EveryEventType_HasCategories_AllOfThemOnesConsentGrantsName()
    {
        var known = FieldCatalog.Categories.ToHashSet(StringComparer.Ordinal);
        foreach (var type in EventTypes.All)
        {
            Assert.True(FieldCatalog.EventCategories.TryGetValue(type, out var categories), $"no categories for event type '{type}'");
            Assert.NotEmpty(categories);
            Assert.All(categories, c => Assert.True(known.Contains(c), $"'{type}' names '{c}', which no grant can name"));
        }
    }

    [Theory]
    [InlineData("email", "identity")]
    [InlineData("web_visit", "identity")]
    [InlineData("profile", "contract")]
    public void ABodyHoldingMoreThanItsTypeSuggests_NeedsThatCategoryToo(string type, string category) =>
        Assert.Contains(category, FieldCatalog.EventCategories[type]);
}
