using AgentCrm.Sandbox.Cases;
using AgentCrm.Sandbox.Fitting;

namespace AgentCrm.Sandbox.Splits;

/// <summary>
/// The part of a case set a fit held out (the same deterministic stratified split the fitter used), as
/// a case set of its own, so the gate judges a fitted version on cases it never saw.
/// </summary>
public static class HoldOutCases
{
    public static CaseSet Of(CaseSet set, FitOptions options)
    {
        var (_, test) = Split(set, options);
        var name = NameOf(set.Name, options.Seed);
        return new CaseSet(name, $"{set.Hash}:holdout:{options.TestFraction.ToString(System.Globalization.CultureInfo.InvariantCulture)}:{options.Seed}",
            test.Select(i => set.Cases[i]).ToList(), set.Kind) { Scenario = set.Scenario };
    }

    /// <summary>The name of the part of case set <paramref name="setName"/> a fit with <paramref name="seed"/> holds out (its report names it).</summary>
    public static string NameOf(string setName, int seed) => $"{setName}:holdout-{seed}";

    /// <summary>
    /// The fit's split: whole groups (documents) when every case has a group, so no document is on both
    /// sides; otherwise stratified by label.
    /// </summary>
    public static (int[] Train, int[] Test) Split(CaseSet set, FitOptions options) =>
        set.Cases.Count > 0 && set.Cases.All(c => c.Group is not null)
            ? StratifiedSplit.GroupHoldOut(set.Cases.Select(c => c.Group!).ToArray(), options.TestFraction, options.Seed)
            : StratifiedSplit.HoldOut(set.Cases.Select(c => c.Label).ToArray(), options.TestFraction, options.Seed);
}
