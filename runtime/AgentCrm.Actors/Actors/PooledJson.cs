using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace AgentCrm.Actors;

/// <summary>
/// Serializes a state value into a pooled array instead of an exact-size <c>byte[]</c> per save (what
/// <see cref="JsonSerializer.SerializeToUtf8Bytes(object?, Type, JsonSerializerOptions?)"/> makes: the customer's state JSON
/// was the largest single allocation of the event path). The bytes are those <c>SerializeToUtf8Bytes</c> writes: the writer
/// gets the options the serializer gives its own, but for the encoder of a type info that has none, which is the state's
/// (a source-generated context keeps its fast path only without an encoder of its own). The caller returns the array
/// (<see cref="Return"/>) once nothing reads the bytes any more; one never returned is only garbage.
/// </summary>
internal static class PooledJson
{
    /// <summary>
    /// Arrays a pool keeps per size (16, 32, 64 KB…). A turn's JSON is out until its group commit is durable, and a busy
    /// writer commits hundreds of turns at once: <see cref="ArrayPool{T}.Shared"/> keeps a few dozen per size, so nearly
    /// every save under load rented a new array. What it keeps is what was once out at the same time, at most this many.
    /// </summary>
    internal const int ArraysPerSize = 1024;

    // Larger states (rare: a customer's is 10–20 KB) take an array of their own, as before: what the pool can keep stays bounded
    // (1,024 of each size up to this, about 256 MB at the very most, and only as much as was once out at the same time).
    private const int MaxPooledLength = 128 * 1024;

    private static readonly ArrayPool<byte> Pool = ArrayPool<byte>.Create(MaxPooledLength, ArraysPerSize);

    // One writer per thread, reset onto each buffer; rebuilt when a value is written with other options.
    [ThreadStatic] private static Utf8JsonWriter? t_writer;
    [ThreadStatic] private static JsonSerializerOptions? t_options;

    /// <summary>
    /// The JSON of <paramref name="value"/> in a rented array (<c>Json</c> is the part written), starting with an array of at
    /// least <paramref name="expectedLength"/> bytes (the length written last time: no copy to grow it as the JSON fills it).
    /// </summary>
    public static (byte[] Rented, ReadOnlyMemory<byte> Json) Serialize(object? value, Type type, JsonTypeInfo? typeInfo, JsonSerializerOptions options, int expectedLength = 0)
    {
        var buffer = new RentedBuffer(expectedLength + expectedLength / 8);
        var writer = WriterFor(typeInfo?.Options ?? options, typeInfo?.Options.Encoder ?? options.Encoder, buffer);
        try
        {
            if (typeInfo is not null)
                JsonSerializer.Serialize(writer, value, typeInfo);
            else
                JsonSerializer.Serialize(writer, value, type, options);
            writer.Flush();
        }
        catch
        {
            buffer.Release();
            // The writer may hold a half-written value: the next use starts it over (Reset) either way.
            throw;
        }
        finally
        {
            writer.Reset();
        }
        return (buffer.Array, buffer.Array.AsMemory(0, buffer.Written));
    }

    public static void Return(byte[] rented) => Pool.Return(rented);

    private static Utf8JsonWriter WriterFor(JsonSerializerOptions options, JavaScriptEncoder? encoder, RentedBuffer buffer)
    {
        if (t_writer is { } writer && ReferenceEquals(t_options, options) && ReferenceEquals(t_writer.Options.Encoder, encoder))
        {
            writer.Reset(buffer);
            return writer;
        }
        // What JsonSerializer gives the writers it makes itself (JsonSerializerOptions.GetWriterOptions).
        t_writer = new Utf8JsonWriter(buffer, new JsonWriterOptions
        {
            Encoder = encoder,
            Indented = options.WriteIndented,
            IndentCharacter = options.IndentCharacter,
            IndentSize = options.IndentSize,
            MaxDepth = options.MaxDepth == 0 ? 64 : options.MaxDepth,
            NewLine = options.NewLine,
            SkipValidation = true,
        });
        t_options = options;
        return t_writer;
    }

    /// <summary>A buffer writer over pooled arrays: grows by renting twice the size and returning the smaller one.</summary>
    private sealed class RentedBuffer(int initialLength) : IBufferWriter<byte>
    {
        public byte[] Array { get; private set; } = Pool.Rent(Math.Max(initialLength, 4096));

        public int Written { get; private set; }

        public void Advance(int count) => Written += count;

        public Memory<byte> GetMemory(int sizeHint = 0)
        {
            Grow(sizeHint);
            return Array.AsMemory(Written);
        }

        public Span<byte> GetSpan(int sizeHint = 0)
        {
            Grow(sizeHint);
            return Array.AsSpan(Written);
        }

        public void Release() => Pool.Return(Array);

        private void Grow(int sizeHint)
        {
            var needed = Written + Math.Max(sizeHint, 1);
            if (needed <= Array.Length)
                return;
            var larger = Pool.Rent(Math.Max(needed, Array.Length * 2));
            Array.AsSpan(0, Written).CopyTo(larger);
            Pool.Return(Array);
            Array = larger;
        }
    }
}
