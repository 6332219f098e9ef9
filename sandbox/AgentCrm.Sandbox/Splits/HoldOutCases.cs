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
        var (_, test) = StratifiedSplit.HoldOut(set.Cases.Select(c => c.Label).ToArray(), options.TestFraction, options.Seed);
        var name = $"{set.Name}:holdout-{options.Seed}";
        return new CaseSet(name, $"{set.Hash}:holdout:{options.TestFraction.ToString(System.Globalization.CultureInfo.InvariantCulture)}:{options.Seed}",
            test.Select(i => set.Cases[i]).ToList(), set.Kind) { Scenario = set.Scenario };
    }
}
