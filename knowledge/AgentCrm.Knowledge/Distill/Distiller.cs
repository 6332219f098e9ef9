using System.Text.RegularExpressions;
using AgentCrm.Knowledge.Text;
using Microsoft.Extensions.AI;

namespace AgentCrm.Knowledge.Distill;

/// <summary>
/// Distils a section into key sentences plus obligations and figures, each linked to its chunk. With an
/// <see cref="IChatClient"/> the summary is model-written; any failure falls back to the extractive summary.
/// </summary>
public sealed partial class Distiller(IChatClient? chatClient = null)
{
    public const int SummarySentences = 3;
    public const int MaxObligations = 5;
    private const int MaxSentences = 120;

    /// <summary>True when a chat model may write summaries (calls go out over the network, one section at a time).</summary>
    public bool UsesModel => chatClient is not null;

    /// <summary>Distils one section from its chunks, given in order as (chunk id, text).</summary>
    public async Task<DistilledUnit?> DistillAsync(string section, IReadOnlyList<(string Id, string Text)> chunks, CancellationToken cancellationToken = default)
    {
        var unit = Extract(section, [.. chunks.Select(c => (c.Id, (IReadOnlyList<string>)SentenceSplitter.Split(c.Text)))]);
        if (unit is not null && chatClient is not null && await SummariseWithModelAsync(section, chunks, cancellationToken) is { } written)
        {
            return unit with { Summary = [new KeySentence(written, unit.Summary[0].ChunkId)], Method = DistilledUnit.Llm };
        }

        return unit;
    }

    /// <summary>
    /// The extractive distillation of a section whose chunks are already split into sentences (in order, as (chunk id,
    /// sentences)): pure and thread-safe, so sections can be distilled in parallel and a chunk split once.
    /// </summary>
    internal static DistilledUnit? Extract(string section, IReadOnlyList<(string Id, IReadOnlyList<string> Sentences)> chunks)
    {
        var sentences = new List<KeySentence>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (id, split) in chunks)
        {
            foreach (var sentence in split)
            {
                // Overlap repeats sentences across chunks; keep the first occurrence.
                if (sentence.Length >= 20 && seen.Add(sentence) && sentences.Count < MaxSentences)
                {
                    sentences.Add(new KeySentence(sentence, id));
                }
            }
        }

        if (sentences.Count == 0)
        {
            return null;
        }

        var summary = ExtractiveSummarizer.Select([.. sentences.Select(s => s.Text)], SummarySentences).Select(i => sentences[i]).ToList();
        var obligations = sentences.Where(s => Obligation().IsMatch(s.Text)).Take(MaxObligations).ToList();
        return new DistilledUnit(section, summary, obligations, DistilledUnit.Extractive, summary[0].ChunkId);
    }

    private async Task<string?> SummariseWithModelAsync(string section, IReadOnlyList<(string Id, string Text)> chunks, CancellationToken cancellationToken)
    {
        try
        {
            var body = string.Join("\n\n", chunks.Select(c => c.Text));
            var prompt = $"Summarise the section \"{section}\" below in at most three sentences. Use only facts stated in it.\n\n{body}";
            var response = await chatClient!.GetResponseAsync(prompt, cancellationToken: cancellationToken);
            var text = response.Text?.Trim();
            return string.IsNullOrEmpty(text) ? null : text;
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Any model failure (HTTP, timeout, open circuit, bad payload) falls back to the extractive summary.
            return null;
        }
    }

    [GeneratedRegex(@"\b(shall|must|within|no later than|not later than|at least|at most|up to)\b|%|\d", RegexOptions.IgnoreCase)]
    private static partial Regex Obligation();
}
