using AgentCrm.Agents;
using AgentCrm.Agents.Compliance;
using AgentCrm.Agents.Tender;
using AgentCrm.Agents.Text;

namespace AgentCrm.Sandbox.Fitting.Text;

/// <summary>The trainable text kinds and what their fits read.</summary>
public static class TextFitTargets
{
    /// <summary>Cue phrases from the CLAUDETTE paper's unfair-clause category definitions.</summary>
    public const string ClaudetteLexicon = "claudette-categories";

    /// <summary>Cue phrases from the public GSIN ICT class names (N70, D3), never from a notice's GSIN values.</summary>
    public const string GsinLexicon = "gsin-ict";

    public static readonly IReadOnlyList<string> Kinds = [ComplianceCheckKind.KindName, TenderDetectionKind.KindName];

    /// <summary>The target for a kind, deriving from <paramref name="baseManifest"/> (the kind's template when null); null for a kind that is not a text kind.</summary>
    public static TextTarget? For(string kind, AgentManifest? baseManifest = null) => kind switch
    {
        ComplianceCheckKind.KindName => new TextTarget(UnfairCategories.Unfair, s => s.Text(ComplianceAgent.TextField) ?? "", true,
            new ComplianceCheckKind(), baseManifest ?? ComplianceCheckKind.Template, CanEnsemble: true,
            TextFeaturizer.Default with { Lexicon = TextLexicon.Load(ClaudetteLexicon), Shape = true }),
        TenderDetectionKind.KindName => new TextTarget(TenderParameters.MatchClass, TenderAgent.NoticeText, false,
            new TenderDetectionKind(), baseManifest ?? TenderDetectionKind.Template,
            Featurizer: TextFeaturizer.Default with { Lexicon = TextLexicon.Load(GsinLexicon) }),
        _ => null,
    };
}
