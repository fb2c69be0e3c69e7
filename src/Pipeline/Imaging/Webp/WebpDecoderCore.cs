using System.Buffers;
using System.Buffers.Binary;

namespace Pipeline.Imaging.Webp;

/// <summary>
/// Reads the WebP RIFF container and decodes its image.
/// <list type="bullet">
/// <item>Structure is checked strictly: "RIFF", a size, "WEBP"; a RIFF size past the end of the file is truncation (an
/// error), data after it is ignored (as libwebp does); every chunk must fit inside the RIFF size.</item>
/// <item>A simple file holds one "VP8 " (lossy) or "VP8L" (lossless) chunk. An extended file starts with "VP8X" (flags
/// and canvas size); its still image is an optional "ALPH" chunk and a "VP8 " chunk, or a "VP8L" chunk, and must be
/// exactly the canvas size. ICCP, EXIF, XMP and unknown chunks are skipped.</item>
/// <item>Whether the output has alpha follows libwebp's answer, which ImageMagick also uses: a VP8L stream's alpha hint,
/// else the VP8X alpha flag or an ALPH chunk. Without alpha the output is RGB and any stored alpha is dropped.</item>
/// <item>An animation (VP8X animation flag, ANIM and ANMF chunks) yields its first frame placed at its offset on a
/// transparent canvas of the VP8X canvas size, as the GIF decoder does with a first frame: RGBA when the frame has
/// alpha, leaves part of the canvas uncovered or the VP8X alpha flag is set, else RGB. The frame's pixels are copied
/// as they are, whatever its blending bit says, as ImageMagick does (libwebp's WebPAnimDecoder instead blends onto the
/// transparent canvas, which turns fully transparent pixels black and can round semi-transparent colours down by one).
/// Later frames are not read.</item>
/// <item>Sizes are checked against <see cref="DecoderOptions.MaxPixels"/> before any pixel buffer is allocated.</item>
/// </list>
/// </summary>
internal static class WebpDecoderCore
{
    /// <summary>Decodes <paramref name="data"/>, which starts with "RIFF", a size and "WEBP".</summary>
    public static Image Decode(ReadOnlySpan<byte> data, DecoderOptions options)
    {
        if (data.Length < WebpConstants.RiffHeaderSize)
            WebpThrowHelper.ThrowInvalid(data.Length, "the file ends inside the RIFF header");
        if (BinaryPrimitives.ReadUInt32LittleEndian(data) != WebpConstants.Riff || BinaryPrimitives.ReadUInt32LittleEndian(data[8..]) != WebpConstants.Webp)
            WebpThrowHelper.ThrowInvalid(0, "the file does not start with \"RIFF\", a size and \"WEBP\"");
        uint riffSize = BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
        if (riffSize < 4 + WebpConstants.ChunkHeaderSize)
            WebpThrowHelper.ThrowInvalid(4, $"the RIFF size {riffSize} is too small to hold \"WEBP\" and a chunk");
        if (riffSize > data.Length - 8)
            WebpThrowHelper.ThrowInvalid(4, $"the RIFF size {riffSize} runs past the end of the {data.Length}-byte file (truncated file?)");
        int end = 8 + (int)riffSize;

        int pos = WebpConstants.RiffHeaderSize;
        Chunk first = ReadChunk(data, pos, end);
        switch (first.FourCc)
        {
            case WebpConstants.Vp8:
                return Vp8Decoder.Decode(data, first.Start, first.Length, options);
            case WebpConstants.Vp8L:
            {
                (_, _, bool hasAlpha) = Vp8LDecoder.ReadHeader(data, first.Start, first.Length);
                return Vp8LDecoder.Decode(data, first.Start, first.Length, hasAlpha, options);
            }
            case WebpConstants.Vp8X:
                return DecodeExtended(data, first, end, options);
            default:
                WebpThrowHelper.ThrowInvalid(pos, $"the first chunk is {WebpConstants.FourCcName(first.FourCc)}; a WebP file starts with \"VP8 \", \"VP8L\" or \"VP8X\"");
                return null;
        }
    }

    /// <summary>
    /// Refuses, before anything is allocated, an image or canvas over <see cref="DecoderOptions.MaxPixels"/> or too
    /// large for one array of RGBA pixels (a canvas may be 2^24 × 2^24 whatever MaxPixels allows).
    /// </summary>
    public static void CheckSize(int width, int height, long offset, DecoderOptions options)
    {
        long pixels = (long)width * height;
        if (pixels > options.MaxPixels)
            WebpThrowHelper.ThrowInvalid(offset, $"the image is {width}x{height} = {pixels} pixels, over the limit of {options.MaxPixels} (DecoderOptions.MaxPixels)");
        if (pixels * 4 > Array.MaxLength)
            WebpThrowHelper.ThrowInvalid(offset, $"the image is {width}x{height} = {pixels} pixels, too many to hold in memory");
    }

    /// <summary>A chunk: its FourCC, where its payload starts, its payload size, and where the next chunk starts.</summary>
    private readonly record struct Chunk(uint FourCc, int Header, int Start, int Length, int Next);

    // Reads the chunk header at pos; the payload must end within the RIFF data (the pad byte may be missing at the end).
    private static Chunk ReadChunk(ReadOnlySpan<byte> data, int pos, int end)
    {
        if (end - pos < WebpConstants.ChunkHeaderSize)
            WebpThrowHelper.ThrowInvalid(pos, "the RIFF data ends inside a chunk header (truncated file?)");
        uint fourCc = BinaryPrimitives.ReadUInt32LittleEndian(data[pos..]);
        uint size = BinaryPrimitives.ReadUInt32LittleEndian(data[(pos + 4)..]);
        int start = pos + WebpConstants.ChunkHeaderSize;
        if (size > end - start)
            WebpThrowHelper.ThrowInvalid(pos + 4, $"the {size}-byte {WebpConstants.FourCcName(fourCc)} chunk runs past the end of the RIFF data ({end - start} bytes left)");
        int next = (int)Math.Min(end, start + (long)size + (size & 1));
        return new Chunk(fourCc, pos, start, (int)size, next);
    }

    private static Image DecodeExtended(ReadOnlySpan<byte> data, Chunk vp8x, int end, DecoderOptions options)
    {
        if (vp8x.Length != WebpConstants.Vp8XSize)
            WebpThrowHelper.ThrowInvalid(vp8x.Header + 4, $"the VP8X chunk is {vp8x.Length} bytes, not {WebpConstants.Vp8XSize}");
        byte flags = data[vp8x.Start];
        int canvasWidth = ReadUInt24(data, vp8x.Start + 4) + 1, canvasHeight = ReadUInt24(data, vp8x.Start + 7) + 1;
        CheckSize(canvasWidth, canvasHeight, vp8x.Start + 4, options);
        bool alphaFlag = (flags & WebpConstants.AlphaFlag) != 0;
        if ((flags & WebpConstants.AnimationFlag) != 0)
            return DecodeFirstFrame(data, vp8x.Next, end, canvasWidth, canvasHeight, alphaFlag, options);
        Image? image = DecodeFrame(data, vp8x.Next, end, canvasWidth, canvasHeight, alphaFlag, "the canvas", options);
        if (image is null) WebpThrowHelper.ThrowInvalid(end, "the extended file has no image: no \"VP8 \" or \"VP8L\" chunk follows VP8X");
        return image;
    }

    // Decodes the still image in the chunks [pos, end): optional ALPH, then "VP8 " or "VP8L"; other chunks are skipped.
    // Returns null when there is no image chunk.
    private static Image? DecodeFrame(ReadOnlySpan<byte> data, int pos, int end, int width, int height, bool alphaFlag, string sizeName, DecoderOptions options)
    {
        Chunk alph = default;
        while (pos < end)
        {
            Chunk chunk = ReadChunk(data, pos, end);
            switch (chunk.FourCc)
            {
                case WebpConstants.Alph:
                    if (alph.FourCc == 0) alph = chunk; // the first one counts, as in libwebp
                    break;
                case WebpConstants.Vp8L:
                {
                    (int w, int h, bool hasAlpha) = Vp8LDecoder.ReadHeader(data, chunk.Start, chunk.Length);
                    if (w != width || h != height)
                        WebpThrowHelper.ThrowInvalid(chunk.Start + 1, $"the VP8L image is {w}x{h}; {sizeName} is {width}x{height}");
                    // libwebp reports alpha for the stream's hint or any ALPH chunk (which a lossless image then ignores).
                    return Vp8LDecoder.Decode(data, chunk.Start, chunk.Length, hasAlpha || alph.FourCc != 0, options);
                }
                case WebpConstants.Vp8:
                    return DecodeLossy(data, chunk, alph, width, height, alphaFlag, sizeName, options);
            }
            pos = chunk.Next;
        }
        return null;
    }

    // A lossy frame, with its ALPH plane merged when there is one. The VP8 frame is checked and decoded first (as libwebp
    // does), so a broken frame costs nothing for its alpha plane.
    private static Image DecodeLossy(ReadOnlySpan<byte> data, Chunk vp8, Chunk alph, int width, int height, bool alphaFlag, string sizeName, DecoderOptions options)
    {
        Vp8FrameHeader header = Vp8FrameHeader.ParseUncompressed(data.Slice(vp8.Start, vp8.Length), vp8.Start, options);
        if (header.Width != width || header.Height != height)
            WebpThrowHelper.ThrowInvalid(vp8.Start + 6, $"the VP8 image is {header.Width}x{header.Height}; {sizeName} is {width}x{height}");
        Image rgb = Vp8Decoder.Decode(data, vp8.Start, vp8.Length, options);
        if (alph.FourCc == 0) return alphaFlag ? WithAlpha(rgb, null) : rgb;
        byte[] alpha = ArrayPool<byte>.Shared.Rent(width * height);
        try
        {
            WebpAlphaDecoder.Decode(data, alph.Start, alph.Length, width, height, alpha);
            return WithAlpha(rgb, alpha);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(alpha);
        }
    }

    // An RGBA copy of an image, with alpha from the plane (or its own, or opaque, without one).
    private static Image WithAlpha(Image image, byte[]? alpha)
    {
        var rgba = new Image(image.Width, image.Height, PixelFormat.Rgba32);
        for (int y = 0; y < image.Height; y++)
            CopyRowToRgba(image.Row(y), image.BytesPerPixel, alpha is null ? default : alpha.AsSpan(y * image.Width, image.Width), rgba.Row(y));
        return rgba;
    }

    // Copies a row of RGB or RGBA pixels into RGBA pixels: alpha from the plane when given, else the source's own, else opaque.
    private static void CopyRowToRgba(ReadOnlySpan<byte> source, int step, ReadOnlySpan<byte> alpha, Span<byte> target)
    {
        int width = target.Length / 4;
        for (int x = 0; x < width; x++)
        {
            target[4 * x] = source[step * x];
            target[4 * x + 1] = source[step * x + 1];
            target[4 * x + 2] = source[step * x + 2];
            target[4 * x + 3] = !alpha.IsEmpty ? alpha[x] : step == 4 ? source[step * x + 3] : (byte)255;
        }
    }

    // The first ANMF frame of an animation, at its offset on a transparent canvas.
    private static Image DecodeFirstFrame(ReadOnlySpan<byte> data, int pos, int end, int canvasWidth, int canvasHeight, bool alphaFlag, DecoderOptions options)
    {
        while (pos < end)
        {
            Chunk chunk = ReadChunk(data, pos, end);
            if (chunk.FourCc == WebpConstants.Anmf)
            {
                if (chunk.Length < WebpConstants.AnmfHeaderSize)
                    WebpThrowHelper.ThrowInvalid(chunk.Header + 4, $"the ANMF chunk is {chunk.Length} bytes, too short for its {WebpConstants.AnmfHeaderSize}-byte header");
                int left = 2 * ReadUInt24(data, chunk.Start), top = 2 * ReadUInt24(data, chunk.Start + 3);
                int width = ReadUInt24(data, chunk.Start + 6) + 1, height = ReadUInt24(data, chunk.Start + 9) + 1;
                if ((long)left + width > canvasWidth || (long)top + height > canvasHeight)
                    WebpThrowHelper.ThrowInvalid(chunk.Start, $"the first frame ({width}x{height} at {left},{top}) does not fit the {canvasWidth}x{canvasHeight} canvas");
                int frameEnd = chunk.Start + chunk.Length;
                Image? frame = DecodeFrame(data, chunk.Start + WebpConstants.AnmfHeaderSize, frameEnd, width, height, false, "its ANMF frame", options);
                if (frame is null) WebpThrowHelper.ThrowInvalid(chunk.Start, "the first ANMF frame has no \"VP8 \" or \"VP8L\" chunk");
                return Compose(frame, left, top, canvasWidth, canvasHeight, alphaFlag);
            }
            pos = chunk.Next;
        }
        WebpThrowHelper.ThrowInvalid(end, "the animation has no frame: no ANMF chunk follows VP8X");
        return null;
    }

    private static Image Compose(Image frame, int left, int top, int canvasWidth, int canvasHeight, bool alphaFlag)
    {
        bool covers = left == 0 && top == 0 && frame.Width == canvasWidth && frame.Height == canvasHeight;
        if (covers && (frame.Format == PixelFormat.Rgba32 || !alphaFlag)) return frame;
        if (covers) return WithAlpha(frame, null);
        var canvas = new Image(canvasWidth, canvasHeight, PixelFormat.Rgba32); // zeroed: transparent black
        for (int y = 0; y < frame.Height; y++)
            CopyRowToRgba(frame.Row(y), frame.BytesPerPixel, default, canvas.Row(top + y).Slice(4 * left, 4 * frame.Width));
        return canvas;
    }

    private static int ReadUInt24(ReadOnlySpan<byte> data, int pos) => data[pos] | data[pos + 1] << 8 | data[pos + 2] << 16;
}
