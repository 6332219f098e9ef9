using System.Security.Cryptography;
using System.Text;

namespace AgentCrm.Knowledge.Ingest;

/// <summary>Validates raw bytes (size, NUL bytes, UTF-8) and turns them into sections; throws <see cref="KnowledgeInputException"/> on bad input.</summary>
public static class DocumentParser
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static string Decode(ReadOnlySpan<byte> content, long maxBytes)
    {
        if (content.Length > maxBytes)
        {
            throw new KnowledgeInputException($"The document is {content.Length:N0} bytes; the limit is {maxBytes:N0} (Knowledge:MaxDocumentBytes).");
        }

        if (content.IndexOf((byte)0) >= 0)
        {
            throw new KnowledgeInputException("The document looks binary (it contains NUL bytes); send Markdown, HTML or plain UTF-8 text.");
        }

        try
        {
            var text = StrictUtf8.GetString(content);
            return text.Length > 0 && text[0] == '\uFEFF' ? text[1..] : text;
        }
        catch (DecoderFallbackException exception)
        {
            throw new KnowledgeInputException("The document is not valid UTF-8 text.", exception);
        }
    }

    public static ParsedDocument Parse(string text, DocumentType type, long maxBytes)
    {
        if (Encoding.UTF8.GetByteCount(text) > maxBytes)
        {
            throw new KnowledgeInputException($"The document is over the size limit of {maxBytes:N0} bytes (Knowledge:MaxDocumentBytes).");
        }

        if (text.Contains('\0', StringComparison.Ordinal))
        {
            throw new KnowledgeInputException("The document looks binary (it contains NUL characters).");
        }

        var normalised = Normalise(text);
        if (string.IsNullOrWhiteSpace(normalised))
        {
            throw new KnowledgeInputException("The document is empty.");
        }

        var (title, sections) = type switch
        {
            DocumentType.Markdown => MarkdownSectioner.Parse(normalised),
            DocumentType.Html => HtmlSectioner.Parse(normalised),
            DocumentType.Text => TextSectioner.Parse(normalised),
            _ => throw new KnowledgeInputException($"Unknown document type '{type}'."),
        };

        if (sections.Count == 0)
        {
            throw new KnowledgeInputException("The document has no text to index (only headings, markup or whitespace).");
        }

        return new ParsedDocument(title, sections, normalised);
    }

    /// <summary>SHA-256 (hex) of the normalised text, so line endings and trailing spaces do not count as changes.</summary>
    public static string Hash(string normalisedText) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(normalisedText)));

    private static string Normalise(string text)
    {
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n').Split('\n');
        return string.Join('\n', lines.Select(l => l.TrimEnd())).Trim();
    }
}
