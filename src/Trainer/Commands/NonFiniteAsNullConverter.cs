using System.Text.Json;
using System.Text.Json.Serialization;

namespace Trainer.Commands;

/// <summary>
/// Writes NaN and infinities as JSON null in the trainer's --json output: an undefined metric (a log-loss reduction on
/// one class) must not become the string "NaN", which JSON readers take for text or reject. Output only.
/// </summary>
internal sealed class NonFiniteAsNullConverter : JsonConverter<double>
{
    public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        => throw new NotSupportedException("The trainer's JSON options only write.");

    public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options)
    {
        if (double.IsFinite(value)) writer.WriteNumberValue(value);
        else writer.WriteNullValue();
    }
}

/// <summary>The <see cref="float"/> twin of <see cref="NonFiniteAsNullConverter"/>.</summary>
internal sealed class NonFiniteSingleAsNullConverter : JsonConverter<float>
{
    public override float Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        => throw new NotSupportedException("The trainer's JSON options only write.");

    public override void Write(Utf8JsonWriter writer, float value, JsonSerializerOptions options)
    {
        if (float.IsFinite(value)) writer.WriteNumberValue(value);
        else writer.WriteNullValue();
    }
}
