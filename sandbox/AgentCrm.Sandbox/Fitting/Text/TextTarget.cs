using AgentCrm.Agents;
using AgentCrm.Agents.Text;

namespace AgentCrm.Sandbox.Fitting.Text;

/// <summary>What a text fit needs to know about the kind it fits: where the text is, the class name, and how to build the agent.</summary>
/// <param name="PrimaryClass">The model class the case label trains (e.g. <c>unfair</c>, <c>match</c>).</param>
/// <param name="TextOf">The text the agent reads from a snapshot (the same function the agent uses).</param>
/// <param name="FitNamedLabels">Whether the case set's named labels become classes too (clause categories).</param>
/// <param name="Kind">Creates agents of the kind (the fit measures through the agent itself).</param>
/// <param name="Base">The manifest the fitted version derives from.</param>
/// <param name="CanEnsemble">Whether the kind can score the mean of the primary class and the best named class (<c>parameters.ensemble</c>); cross-validation decides.</param>
/// <param name="Featurizer">The terms the kind's fits count (its lexicon and shape cues included) unless <see cref="TextFitOptions.Featurizer"/> says otherwise.</param>
public sealed record TextTarget(string PrimaryClass, Func<CustomerSnapshot, string> TextOf, bool FitNamedLabels, IAgentKind Kind, AgentManifest Base, bool CanEnsemble = false,
    TextFeaturizer? Featurizer = null);
