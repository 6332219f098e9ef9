using System.Text;
using AgentCrm.Knowledge.Retrieval;

namespace AgentCrm.Knowledge.Tests.Retrieval;

/// <summary>The id a file name gives (the CLI's and an upload's alike): one per name, never one for two names.</summary>
public sealed class DocumentIdsTests
{
    private const string Stem = "2026-01-15-customer-success-renewal-escalation-procedure-for-region";

    [Theory]
    [InlineData("Onboarding.md", "onboarding")]
    [InlineData("Renewal Playbook (v2).md", "renewal-playbook-v2")]
    [InlineData("Über Uns.md", "ber-uns")]
    public void FromFileName_AShortName_IsItsLettersAndDigits_AsBefore(string name, string id) =>
        Assert.Equal(id, DocumentIds.FromFileName(name));

    /// <summary>qa44b F1: cut to 64 characters, the second of two names sharing their first 64 replaced the first's document.</summary>
    [Fact]
    public void FromFileName_NamesPast64Characters_KeepTheirFirst64AndEndInTheWholeNamesHash()
    {
        var name64 = new string('a', 64) + ".md";
        var emea = DocumentIds.FromFileName($"{Stem}-emea.md")!;
        var apac = DocumentIds.FromFileName($"{Stem}-apac.md")!;

        Assert.Equal(new string('a', 64), DocumentIds.FromFileName(name64));
        Assert.NotEqual(emea, apac);
        Assert.Matches($"^{Stem[..64]}-[0-9a-f]{{12}}$", emea);
        Assert.Equal(emea, DocumentIds.FromFileName($"{Stem.ToUpperInvariant()}-EMEA.md"));
        Assert.Null(DocumentIds.Problem(emea));
    }

    /// <summary>qa44b F3: a name with no a–z or 0–9 gave no id (the CLI refused it, an upload took its content's hash).</summary>
    [Fact]
    public void FromFileName_ANameInAnotherScript_IsItsHash_TheSameInCapitalsAndDecomposed()
    {
        var yolka = DocumentIds.FromFileName("Ёлка.md")!;

        Assert.Matches("^[0-9a-f]{12}$", yolka);
        Assert.Equal(yolka, DocumentIds.FromFileName("ёлка.md".Normalize(NormalizationForm.FormD)));
        Assert.NotEqual(yolka, DocumentIds.FromFileName("Регламент.md"));
        Assert.NotNull(DocumentIds.FromFileName("日本語.md"));
        Assert.Null(DocumentIds.Problem(yolka));
    }

    [Theory]
    [InlineData("🚀.md")]
    [InlineData("---.md")]
    [InlineData(".md")]
    public void FromFileName_ANameWithNoLetterOrDigit_GivesNone(string name) => Assert.Null(DocumentIds.FromFileName(name));
}
