using System.Security.Cryptography;
using System.Text;

namespace AgentCrm.Knowledge.Stores.Qdrant;

/// <summary>
/// Qdrant point ids must be an unsigned integer or a UUID; our record ids are strings like <c>gdpr#c0042</c>.
/// A name-based UUID (RFC 9562 version 5) keeps the mapping deterministic, so any process computes the same id. The
/// original id travels in the payload.
/// </summary>
internal static class QdrantPointId
{
    /// <summary>
    /// The point of one version of a record: its id and its content (kind, section, text, source chunk). Chunk ids are
    /// positional, so a new version of a document reuses them for other text; with the content in the point id, the new
    /// version's changed passages are new points beside the old ones until the catalog commits it (a reader never sees
    /// the document missing, nor a version the catalog does not hold), while an unchanged passage keeps its point.
    /// Points stored before the content was part of the id are removed by the document's next write.
    /// </summary>
    public static string For(KnowledgeRecord record) =>
        From(string.Join('\u001f', record.Id, record.Kind, record.Section, record.Text, record.SourceChunkId ?? ""));

    // Fixed namespace for AgentCrm knowledge record ids; changing it would orphan every stored point.
    private static readonly Guid Namespace = new("0f7f3d3c-5b86-4f0e-9a53-2b8f5f9a6c41");

    public static string From(string recordId)
    {
        ArgumentException.ThrowIfNullOrEmpty(recordId);
        var name = Encoding.UTF8.GetBytes(recordId);
        var input = new byte[16 + name.Length];
        Namespace.TryWriteBytes(input, bigEndian: true, out _);
        name.CopyTo(input, 16);
#pragma warning disable CA5350 // SHA-1 is what RFC 9562 specifies for version-5 UUIDs; this is an id, not a signature.
        var hash = SHA1.HashData(input);
#pragma warning restore CA5350
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash.AsSpan(0, 16), bigEndian: true).ToString("D");
    }
}
