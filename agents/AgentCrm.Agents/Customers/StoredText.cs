using System.Text.Encodings.Web;

namespace AgentCrm.Agents.Customers;

/// <summary>
/// The bytes text takes in saved customer state, as the actor hosts write state JSON (UTF-8, escaped by
/// <see cref="JavaScriptEncoder.UnsafeRelaxedJsonEscaping"/>; its quotes not counted): a letter of any script in the BMP
/// takes its 1–3 bytes, a quote or backslash 2, a control character, an unassigned code point or a lone surrogate (written
/// as U+FFFD) 6, and a character past the BMP (an emoji) 12, escaped as its two surrogates. So at most 6 bytes a UTF-16 unit.
/// </summary>
internal static class StoredText
{
    private static readonly JavaScriptEncoder Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;

    /// <summary>The most bytes one UTF-16 unit takes (<c>\uXXXX</c>).</summary>
    public const int MaxBytesPerChar = 6;

    public static long Bytes(string? text)
    {
        if (text is null)
            return 0;
        FittingLength(text, long.MaxValue, out var bytes);
        return bytes;
    }

    /// <summary>
    /// The length of the longest start of <paramref name="text"/> that takes at most <paramref name="maxBytes"/> bytes
    /// stored (a surrogate pair is never split), and in <paramref name="bytes"/> what it takes.
    /// </summary>
    public static int FittingLength(string text, long maxBytes, out long bytes)
    {
        Span<char> escaped = stackalloc char[16];
        bytes = 0;
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            var units = char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
            var scalar = units == 2 ? char.ConvertToUtf32(c, text[i + 1]) : c;
            int size;
            if (units == 1 && char.IsSurrogate(c))
                size = MaxBytesPerChar;
            else if (!Encoder.WillEncode(scalar))
                size = scalar < 0x80 ? 1 : scalar < 0x800 ? 2 : scalar < 0x10000 ? 3 : 4;
            else
            {
                Encoder.Encode(text.AsSpan(i, units), escaped, out _, out var written);
                size = written;
            }
            if (bytes + size > maxBytes)
                break;
            bytes += size;
            i += units;
        }
        return i;
    }
}
