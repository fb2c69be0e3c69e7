using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pipeline.Imaging.Processing;

/// <summary>An opaque 8-bit sRGB color; in JSON a <c>"#RRGGBB"</c> string.</summary>
/// <param name="R">Red, 0–255.</param>
/// <param name="G">Green, 0–255.</param>
/// <param name="B">Blue, 0–255.</param>
[JsonConverter(typeof(RgbColorJsonConverter))]
public readonly record struct RgbColor(byte R, byte G, byte B)
{
    /// <summary>Black, (0, 0, 0).</summary>
    public static RgbColor Black => new(0, 0, 0);

    /// <summary>White, (255, 255, 255).</summary>
    public static RgbColor White => new(255, 255, 255);

    /// <summary>Parses <c>#RRGGBB</c> (the leading <c>#</c> is optional).</summary>
    /// <exception cref="FormatException">When <paramref name="text"/> is not six hexadecimal digits.</exception>
    public static RgbColor Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        ReadOnlySpan<char> digits = text.AsSpan().Trim();
        if (digits.StartsWith("#")) digits = digits[1..];
        if (digits.Length != 6 || !uint.TryParse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint value))
            throw new FormatException($"'{text}' is not a color: expected #RRGGBB.");
        return new RgbColor((byte)(value >> 16), (byte)(value >> 8), (byte)value);
    }

    /// <summary>The color as <c>#RRGGBB</c>.</summary>
    public override string ToString() => $"#{R:X2}{G:X2}{B:X2}";
}

/// <summary>Writes an <see cref="RgbColor"/> as <c>"#RRGGBB"</c> and reads it back.</summary>
internal sealed class RgbColorJsonConverter : JsonConverter<RgbColor>
{
    public override RgbColor Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String) throw new JsonException("A color must be a \"#RRGGBB\" string.");
        try
        {
            return RgbColor.Parse(reader.GetString()!);
        }
        catch (FormatException e)
        {
            throw new JsonException(e.Message, e);
        }
    }

    public override void Write(Utf8JsonWriter writer, RgbColor value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString());
}
