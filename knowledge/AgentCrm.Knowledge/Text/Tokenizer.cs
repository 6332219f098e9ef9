namespace AgentCrm.Knowledge.Text;

/// <summary>Word tokens as strings (for BM25), from the same <see cref="WordScanner"/> the embedder uses.</summary>
internal static class Tokenizer
{
    public static List<string> Words(string text)
    {
        var words = new List<string>();
        Span<char> buffer = stackalloc char[WordScanner.MaxWordLength];
        var scanner = new WordScanner(text, buffer);
        while (scanner.Next(out var word))
        {
            words.Add(word.ToString());
        }

        return words;
    }
}
