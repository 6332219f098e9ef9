using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace AgentCrm.Agents;

/// <summary>
/// An integer field as JSON Schema reads one: any number without a fraction (5, 5.0, 5e0), never 5.5 or "5". The schema's
/// <c>integer</c> cannot tell 5.0 from 5 (ajv never sees the difference), so neither may registration.
/// </summary>
internal sealed class WholeNumberConverter : JsonConverter<int>
{
    public override int Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Number)
        {
            if (reader.TryGetInt32(out var i))
                return i;
            if (reader.TryGetDouble(out var d) && d == Math.Floor(d) && d is >= int.MinValue and <= int.MaxValue)
                return (int)d;
        }
        throw new JsonException(); // the serializer adds "could not be converted" and the path
    }

    public override void Write(Utf8JsonWriter writer, int value, JsonSerializerOptions options) => writer.WriteNumberValue(value);
}

/// <summary>Enum values by their exact camel-case names (<c>deliverThenVeto</c>), as the schema lists them: no other casing, no numbers.</summary>
internal sealed class ExactEnumConverter : JsonConverterFactory
{
    public override bool CanConvert(Type typeToConvert) => typeToConvert.IsEnum;

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        (JsonConverter)Activator.CreateInstance(typeof(Exact<>).MakeGenericType(typeToConvert))!;

    private sealed class Exact<T> : JsonConverter<T>
        where T : struct, Enum
    {
        private static readonly Dictionary<string, T> Names = typeof(T).GetFields(BindingFlags.Public | BindingFlags.Static)
            .ToDictionary(f => JsonNamingPolicy.CamelCase.ConvertName(f.Name), f => (T)f.GetValue(null)!, StringComparer.Ordinal);

        public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.String && Names.TryGetValue(reader.GetString()!, out var value) ? value : throw new JsonException();

        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) =>
            writer.WriteStringValue(JsonNamingPolicy.CamelCase.ConvertName(value.ToString()));
    }
}
