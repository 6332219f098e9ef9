namespace AgentCrm.Agents;

/// <summary>
/// A kind whose agents write their texts — the reasons' explanations, the headline and the next step — from the snapshot
/// fields they read and nothing else (a rules manifest's templates). The fields a brief stores then write those texts again,
/// and without some of them they read as the agent would have written them had it not been given those fields: a brief
/// read after the customer withdrew identity, which the agent read when it wrote the brief.
/// </summary>
public interface ITextsFromFields
{
    /// <summary>
    /// What the agent of <paramref name="manifest"/> makes of <paramref name="snapshot"/> (the conditions that hold, the score,
    /// the reasons' fields, values and weights), its texts written from <paramref name="textsFrom"/>; null when it cannot be
    /// made (a version this build cannot compile, a text past its budget).
    /// </summary>
    Assessment? Assess(AgentManifest manifest, CustomerSnapshot snapshot, CustomerSnapshot textsFrom);
}
