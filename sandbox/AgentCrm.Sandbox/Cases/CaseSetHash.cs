using System.Security.Cryptography;

namespace AgentCrm.Sandbox.Cases;

/// <summary>
/// The content hash of a case set: SHA-256 over each source file's length (8 bytes, little-endian)
/// followed by its bytes, in a fixed order (data then mapping; events then labels). The lengths keep
/// two different splits of the same bytes from colliding.
/// </summary>
public static class CaseSetHash
{
    public static string Of(params ReadOnlySpan<byte[]> parts)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> length = stackalloc byte[8];
        foreach (var part in parts)
        {
            BitConverter.TryWriteBytes(length, (long)part.Length);
            if (!BitConverter.IsLittleEndian)
                length.Reverse();
            sha.AppendData(length);
            sha.AppendData(part);
        }
        return "sha256:" + Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
