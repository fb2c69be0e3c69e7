using System.Numerics;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Trainer.Commands;

/// <summary>
/// Writes NaN and infinities as JSON null in the trainer's --json output: an undefined metric (a log-loss reduction on
/// one class) must not become the string "NaN", which JSON readers take for text or reject. Output only. One instance
/// per floating-point type, each given the writer overload of its own type: widening a float to double would change
/// the digits written (0.1f as 0.10000000149011612).
/// </summary>
internal sealed class NonFiniteAsNullConverter<T>(Action<Utf8JsonWriter, T> write) : JsonConverter<T>
    where T : struct, IFloatingPointIeee754<T>
{
    public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        => throw new NotSupportedException("The trainer's JSON options only write.");

    public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options)
    {
        if (T.IsFinite(value)) write(writer, value);
        else writer.WriteNullValue();
    }
}
