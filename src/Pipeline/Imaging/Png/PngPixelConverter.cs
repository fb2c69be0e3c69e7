using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Pipeline.Imaging.Png;

/// <summary>
/// Turns reconstructed scanline samples into output pixels: 8-bit RGB or RGBA for <see cref="Image"/>, or 16-bit
/// RGB(A) for the full-precision path the tests compare with the reference.
/// <list type="bullet">
/// <item>Grey is replicated into R, G and B; 1/2/4-bit samples are scaled to 8 bits by bit replication
/// (×255, ×85, ×17), which is exact.</item>
/// <item>16-bit samples are reduced to 8 bits as ImageMagick 6 (Q16) does when it writes them at depth 8:
/// floor(v·255 / 65535) = floor(v / 257), the exact inverse of the ×257 that widens 8 bits to 16. (libpng's
/// png_set_scale_16 rounds to nearest instead and png_set_strip_16 keeps the high byte; all three are within 1.)
/// Alpha goes the other way, because ImageMagick 6 stores opacity: 255 − floor((65535 − a) / 257), i.e. rounded up,
/// so only a fully transparent 16-bit alpha becomes 0.</item>
/// <item>tRNS: palette entries get their alpha; for grey and RGB the one key colour is compared with the raw samples
/// (at 16 bits for 16-bit images) and matching pixels get alpha 0, all others 255.</item>
/// <item>Gamma (gAMA), colour profiles (iCCP, sRGB, cHRM) and sBIT are ignored: samples are passed through as stored,
/// which is what model preprocessing expects and what the references output.</item>
/// </list>
/// </summary>
internal sealed class PngPixelConverter
{
    private readonly PngHeader _header;
    private readonly uint[] _palette;      // 256 little-endian RGBA entries; unused ones are opaque black
    private readonly int _paletteCount;
    private readonly bool _hasKey;
    private readonly ushort _keyRed, _keyGreen, _keyBlue;

    /// <summary>
    /// Creates the converter. <paramref name="palette"/> is PLTE's RGB triples (may be empty), <paramref name="transparency"/>
    /// tRNS's data (may be empty, and is already validated for the colour type).
    /// </summary>
    public PngPixelConverter(PngHeader header, ReadOnlySpan<byte> palette, ReadOnlySpan<byte> transparency)
    {
        _header = header;
        _palette = new uint[256];
        _paletteCount = palette.Length / 3;
        for (int i = 0; i < 256; i++)
        {
            uint rgb = i < _paletteCount ? palette[3 * i] | (uint)palette[3 * i + 1] << 8 | (uint)palette[3 * i + 2] << 16 : 0;
            uint alpha = header.ColorType == PngColorType.Indexed && i < transparency.Length ? transparency[i] : 0xFFu;
            _palette[i] = rgb | alpha << 24;
        }
        switch (header.ColorType)
        {
            case PngColorType.Indexed:
                HasAlpha = transparency.Length > 0;
                break;
            case PngColorType.Grayscale when transparency.Length == 2:
                _hasKey = true;
                _keyRed = _keyGreen = _keyBlue = BinaryPrimitives.ReadUInt16BigEndian(transparency);
                break;
            case PngColorType.Truecolor when transparency.Length == 6:
                _hasKey = true;
                _keyRed = BinaryPrimitives.ReadUInt16BigEndian(transparency);
                _keyGreen = BinaryPrimitives.ReadUInt16BigEndian(transparency[2..]);
                _keyBlue = BinaryPrimitives.ReadUInt16BigEndian(transparency[4..]);
                break;
        }
        HasAlpha |= _hasKey || header.HasAlphaChannel;
    }

    /// <summary>Whether the output carries alpha (an alpha channel or tRNS): then pixels are RGBA, else RGB.</summary>
    public bool HasAlpha { get; }

    /// <summary>Output channels: 4 with alpha, else 3.</summary>
    public int OutputChannels => HasAlpha ? 4 : 3;

    /// <summary>
    /// Converts <paramref name="count"/> pixels of <paramref name="source"/> into 8-bit RGB(A) in
    /// <paramref name="destination"/>. Returns -1, or the index of the first pixel whose palette index has no
    /// PLTE entry (nothing after it is converted).
    /// </summary>
    public int ToRgba8(ReadOnlySpan<byte> source, Span<byte> destination, int count)
    {
        int channels = OutputChannels;
        destination = destination[..(count * channels)];
        switch (_header.ColorType, _header.BitDepth)
        {
            case (PngColorType.Truecolor, 8) when !_hasKey:
                source[..(count * 3)].CopyTo(destination);
                return -1;
            case (PngColorType.TruecolorAlpha, 8):
                source[..(count * 4)].CopyTo(destination);
                return -1;
            case (PngColorType.Indexed, _):
                return IndexedToRgba8(source, destination, count, channels);
            case (PngColorType.Grayscale, < 8):
                LowGrayToRgba8(source, destination, count, channels);
                return -1;
        }

        for (int i = 0, o = 0; i < count; i++, o += channels)
        {
            (ushort r, ushort g, ushort b, ushort a) = Sample(source, i);
            if (_header.BitDepth == 16)
            {
                destination[o] = Reduce16(r);
                destination[o + 1] = Reduce16(g);
                destination[o + 2] = Reduce16(b);
                if (channels == 4) destination[o + 3] = Reduce16Alpha(a);
            }
            else
            {
                destination[o] = (byte)r;
                destination[o + 1] = (byte)g;
                destination[o + 2] = (byte)b;
                if (channels == 4) destination[o + 3] = (byte)a;
            }
        }
        return -1;
    }

    /// <summary>
    /// Converts <paramref name="count"/> pixels into 16-bit RGB(A): 16-bit samples as stored, lower depths scaled
    /// exactly to 16 bits (×65535 / (2^depth − 1)). Returns -1 or the first bad palette index's pixel, as <see cref="ToRgba8"/>.
    /// </summary>
    public int ToRgba16(ReadOnlySpan<byte> source, Span<ushort> destination, int count)
    {
        int channels = OutputChannels;
        bool indexed = _header.ColorType == PngColorType.Indexed;
        int scale = 65535 / ((1 << (indexed ? 8 : _header.BitDepth)) - 1);
        for (int i = 0, o = 0; i < count; i++, o += channels)
        {
            (ushort r, ushort g, ushort b, ushort a) = Sample(source, i);
            if (indexed)
            {
                if (r >= _paletteCount) return i;
                uint entry = _palette[r];
                (r, g, b, a) = ((ushort)(entry & 0xFF), (ushort)((entry >> 8) & 0xFF), (ushort)((entry >> 16) & 0xFF), (ushort)(entry >> 24));
            }
            destination[o] = (ushort)(r * scale);
            destination[o + 1] = (ushort)(g * scale);
            destination[o + 2] = (ushort)(b * scale);
            if (channels == 4) destination[o + 3] = (ushort)(a * scale);
        }
        return -1;
    }

    /// <summary>A 16-bit sample reduced to 8 bits: floor(v / 257) (see the class comment).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte Reduce16(uint value) => (byte)(value / 257);

    /// <summary>A 16-bit alpha sample reduced to 8 bits: 255 − floor((65535 − a) / 257) (see the class comment).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte Reduce16Alpha(uint alpha) => (byte)(255 - (65535 - alpha) / 257);

    // Pixel i's samples at the file's depth (the palette index in R for indexed images), alpha at the depth's maximum
    // when the pixel is opaque.
    private (ushort R, ushort G, ushort B, ushort A) Sample(ReadOnlySpan<byte> source, int i)
    {
        int depth = _header.BitDepth;
        ushort max = (ushort)((1 << depth) - 1);
        switch (_header.ColorType)
        {
            case PngColorType.Grayscale:
            {
                ushort v = depth switch
                {
                    16 => BinaryPrimitives.ReadUInt16BigEndian(source[(2 * i)..]),
                    8 => source[i],
                    _ => (ushort)((source[i * depth / 8] >> (8 - depth - i * depth % 8)) & max),
                };
                return (v, v, v, _hasKey && v == _keyRed ? (ushort)0 : max);
            }
            case PngColorType.Indexed:
            {
                ushort v = depth == 8 ? source[i] : (ushort)((source[i * depth / 8] >> (8 - depth - i * depth % 8)) & max);
                return (v, 0, 0, 0);
            }
            case PngColorType.Truecolor:
            {
                ushort r, g, b;
                if (depth == 16)
                {
                    r = BinaryPrimitives.ReadUInt16BigEndian(source[(6 * i)..]);
                    g = BinaryPrimitives.ReadUInt16BigEndian(source[(6 * i + 2)..]);
                    b = BinaryPrimitives.ReadUInt16BigEndian(source[(6 * i + 4)..]);
                }
                else
                {
                    (r, g, b) = (source[3 * i], source[3 * i + 1], source[3 * i + 2]);
                }
                bool transparent = _hasKey && r == _keyRed && g == _keyGreen && b == _keyBlue;
                return (r, g, b, transparent ? (ushort)0 : max);
            }
            case PngColorType.GrayscaleAlpha:
            {
                (ushort v, ushort a) = depth == 16
                    ? (BinaryPrimitives.ReadUInt16BigEndian(source[(4 * i)..]), BinaryPrimitives.ReadUInt16BigEndian(source[(4 * i + 2)..]))
                    : (source[2 * i], source[2 * i + 1]);
                return (v, v, v, a);
            }
            default:
                return depth == 16
                    ? (BinaryPrimitives.ReadUInt16BigEndian(source[(8 * i)..]), BinaryPrimitives.ReadUInt16BigEndian(source[(8 * i + 2)..]),
                       BinaryPrimitives.ReadUInt16BigEndian(source[(8 * i + 4)..]), BinaryPrimitives.ReadUInt16BigEndian(source[(8 * i + 6)..]))
                    : (source[4 * i], source[4 * i + 1], source[4 * i + 2], source[4 * i + 3]);
        }
    }

    private int IndexedToRgba8(ReadOnlySpan<byte> source, Span<byte> destination, int count, int channels)
    {
        int depth = _header.BitDepth;
        int mask = (1 << depth) - 1;
        int perByte = 8 / depth;
        ref uint palette = ref MemoryMarshal.GetArrayDataReference(_palette);
        for (int i = 0; i < count; i++)
        {
            int index = depth == 8 ? source[i] : (source[i / perByte] >> (8 - depth - (i % perByte) * depth)) & mask;
            if (index >= _paletteCount) return i;
            uint entry = Unsafe.Add(ref palette, index);
            if (channels == 4)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(destination[(4 * i)..], entry);
            }
            else
            {
                destination[3 * i] = (byte)entry;
                destination[3 * i + 1] = (byte)(entry >> 8);
                destination[3 * i + 2] = (byte)(entry >> 16);
            }
        }
        return -1;
    }

    private void LowGrayToRgba8(ReadOnlySpan<byte> source, Span<byte> destination, int count, int channels)
    {
        int depth = _header.BitDepth;
        int mask = (1 << depth) - 1;
        int perByte = 8 / depth;
        int scale = 255 / mask;
        for (int i = 0, o = 0; i < count; i++, o += channels)
        {
            int v = (source[i / perByte] >> (8 - depth - (i % perByte) * depth)) & mask;
            byte grey = (byte)(v * scale);
            destination[o] = grey;
            destination[o + 1] = grey;
            destination[o + 2] = grey;
            if (channels == 4) destination[o + 3] = _hasKey && v == _keyRed ? (byte)0 : (byte)255;
        }
    }
}
