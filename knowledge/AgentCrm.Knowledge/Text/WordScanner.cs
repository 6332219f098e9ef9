namespace AgentCrm.Knowledge.Text;

/// <summary>
/// Scans lower-cased, lightly stemmed words (letters and digits) without allocating, skipping stop words. Words longer
/// than the buffer are truncated. The one tokenizer behind the embedder and BM25, so both see the same words.
/// </summary>
internal ref struct WordScanner
{
    public const int MaxWordLength = 48;

    private readonly ReadOnlySpan<char> _text;
    private readonly Span<char> _buffer;
    private int _position;

    public WordScanner(ReadOnlySpan<char> text, Span<char> buffer)
    {
        _text = text;
        _buffer = buffer;
        _position = 0;
    }

    public bool Next(out ReadOnlySpan<char> word)
    {
        while (_position < _text.Length)
        {
            while (_position < _text.Length && !char.IsLetterOrDigit(_text[_position]))
            {
                _position++;
            }

            var length = 0;
            while (_position < _text.Length && char.IsLetterOrDigit(_text[_position]))
            {
                if (length < MaxWordLength && length < _buffer.Length)
                {
                    _buffer[length++] = char.ToLowerInvariant(_text[_position]);
                }

                _position++;
            }

            if (length == 0)
            {
                continue;
            }

            length = Stem(_buffer[..length]);
            word = _buffer[..length];
            if (!StopWords.Contains(word))
            {
                return true;
            }
        }

        word = default;
        return false;
    }

    /// <summary>A light plural folding so "customers" meets "customer"; character n-grams cover the rest.</summary>
    private static int Stem(Span<char> word)
    {
        var n = word.Length;
        if (n <= 4 || char.IsDigit(word[0]))
        {
            return n;
        }

        if (word.EndsWith("ies"))
        {
            word[n - 3] = 'y';
            return n - 2;
        }

        if (word.EndsWith("sses"))
        {
            return n - 2;
        }

        return word[n - 1] == 's' && word[n - 2] != 's' && word[n - 2] != 'u' ? n - 1 : n;
    }
}
