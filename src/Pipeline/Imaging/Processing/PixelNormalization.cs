using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pipeline.Imaging.Processing;

/// <summary>
/// How 0–255 samples become floats: <c>value = (sample − Offset) × Scale</c>, with one offset and one scale per color
/// channel. The constants belong to the color, not to the position: with <see cref="ChannelOrder.Bgr"/> the blue plane
/// still uses <see cref="ChannelValues.B"/>. A one-channel (<see cref="ChannelOrder.Gray"/>) tensor uses the R constants.
/// Written as <c>(sample − offset) × scale</c> on purpose: the SIMD kernels compute exactly this expression, so every
/// code path gives bit-identical floats.
/// </summary>
public sealed record PixelNormalization
{
    /// <summary>Subtracted from each 0–255 sample.</summary>
    [JsonPropertyName("offset")]
    public ChannelValues Offset { get; init; }

    /// <summary>Multiplies the difference.</summary>
    [JsonPropertyName("scale")]
    public ChannelValues Scale { get; init; } = new(1, 1, 1);

    /// <summary>The samples as floats, 0–255: offset 0, scale 1.</summary>
    public static PixelNormalization Raw { get; } = new();

    /// <summary>Inception / TensorFlow style [−1, 1]: <c>x / 127.5 − 1</c>, i.e. offset 127.5, scale 1/127.5.</summary>
    public static PixelNormalization Inception { get; } = FromOffsetScale(127.5f, 1f / 127.5f);

    /// <summary>
    /// torchvision's ImageNet normalization, <c>(x / 255 − mean) / std</c> with mean (0.485, 0.456, 0.406) and
    /// std (0.229, 0.224, 0.225), as offset <c>255·mean</c> and scale <c>1 / (255·std)</c> (equal within 1e-6).
    /// </summary>
    public static PixelNormalization ImageNet { get; } = FromMeanStd(new ChannelValues(0.485f, 0.456f, 0.406f), new ChannelValues(0.229f, 0.224f, 0.225f));

    /// <summary>The same offset and scale for every channel: <c>(x − offset) × scale</c>.</summary>
    public static PixelNormalization FromOffsetScale(float offset, float scale)
        => new() { Offset = new ChannelValues(offset, offset, offset), Scale = new ChannelValues(scale, scale, scale) };

    /// <summary>torchvision-style <c>(x / 255 − mean) / std</c> per channel, with mean and std on the 0–1 scale.</summary>
    /// <exception cref="ArgumentOutOfRangeException">When a std is zero, negative or not finite.</exception>
    public static PixelNormalization FromMeanStd(ChannelValues mean, ChannelValues std)
    {
        foreach (float s in (ReadOnlySpan<float>)[std.R, std.G, std.B])
        {
            if (!(s > 0) || !float.IsFinite(s)) throw new ArgumentOutOfRangeException(nameof(std), std, "Every std must be positive and finite.");
        }
        return new PixelNormalization
        {
            Offset = new ChannelValues((float)(255.0 * mean.R), (float)(255.0 * mean.G), (float)(255.0 * mean.B)),
            Scale = new ChannelValues((float)(1.0 / (255.0 * std.R)), (float)(1.0 / (255.0 * std.G)), (float)(1.0 / (255.0 * std.B))),
        };
    }
}

/// <summary>One float per color channel; in JSON an array <c>[r, g, b]</c>.</summary>
/// <param name="R">The red channel's value.</param>
/// <param name="G">The green channel's value.</param>
/// <param name="B">The blue channel's value.</param>
[JsonConverter(typeof(ChannelValuesJsonConverter))]
public readonly record struct ChannelValues(float R, float G, float B)
{
    /// <summary>The value for channel 0 (red), 1 (green) or 2 (blue).</summary>
    public float this[int channel] => channel switch
    {
        0 => R,
        1 => G,
        2 => B,
        _ => throw new ArgumentOutOfRangeException(nameof(channel)),
    };
}

/// <summary>Writes <see cref="ChannelValues"/> as <c>[r, g, b]</c>.</summary>
internal sealed class ChannelValuesJsonConverter : JsonConverter<ChannelValues>
{
    public override ChannelValues Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartArray) throw new JsonException("Per-channel values must be an array [r, g, b].");
        Span<float> values = stackalloc float[3];
        int count = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (count == 3 || reader.TokenType != JsonTokenType.Number) throw new JsonException("Per-channel values must be exactly three numbers [r, g, b].");
            values[count++] = reader.GetSingle();
        }
        if (count != 3) throw new JsonException("Per-channel values must be exactly three numbers [r, g, b].");
        return new ChannelValues(values[0], values[1], values[2]);
    }

    public override void Write(Utf8JsonWriter writer, ChannelValues value, JsonSerializerOptions options)
    {
        writer.WriteStartArray();
        writer.WriteNumberValue(value.R);
        writer.WriteNumberValue(value.G);
        writer.WriteNumberValue(value.B);
        writer.WriteEndArray();
    }
}
