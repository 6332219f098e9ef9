namespace AgentCrm.Knowledge.Distill;

/// <summary>A sentence kept by distillation and the chunk it came from.</summary>
public sealed record KeySentence(string Text, string ChunkId);

/// <summary>The short form of one section: key sentences (or an LLM summary) plus obligations and figures; Method is <c>extractive</c> or <c>llm</c>.</summary>
public sealed record DistilledUnit(string Section, IReadOnlyList<KeySentence> Summary, IReadOnlyList<KeySentence> Obligations, string Method, string SourceChunkId)
{
    public const string Extractive = "extractive";
    public const string Llm = "llm";

    /// <summary>The searchable text of the unit.</summary>
    public string ToText()
    {
        var text = string.Join(' ', Summary.Select(s => s.Text));
        var obligations = Obligations.Where(o => !Summary.Any(s => s.Text == o.Text)).Select(o => o.Text).ToList();
        return obligations.Count == 0 ? text : $"{text}\nObligations and figures: {string.Join(' ', obligations)}";
    }
}
