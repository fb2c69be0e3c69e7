namespace Pipeline.Imaging.Png;

/// <summary>
/// A PNG's pixels at 16 bits per sample, for tests that compare with a reference at full precision: RGB or RGBA
/// (as the 8-bit <see cref="Image"/> would be), row-major. 16-bit samples are as stored; lower depths are scaled
/// exactly to 16 bits (×65535 / (2^depth − 1); palette colours ×257).
/// </summary>
internal sealed record PngSamples16(int Width, int Height, int Channels, ushort[] Samples);
