using System.Buffers.Binary;
using System.IO.Compression;
using Pipeline.Imaging;
using Pipeline.Imaging.Png;
using Pipeline.Tests.Imaging.Bmp;
using Pipeline.Tests.Imaging.Gif;
using Pipeline.Tests.Imaging.Png;
using Pipeline.Tests.Imaging.Webp;

namespace Pipeline.Tests.Imaging.Fuzzing;

/// <summary>
/// Valid files covering each decoder's layouts, built here with a fixed seed (no tools, no shared data), for the
/// fuzzers to mutate: every PNG colour type and depth with and without Adam7, tRNS, split IDATs and uncompressed
/// deflate (so mutations reach the scanlines); every BMP header and pixel layout; GIFs of every code size and option;
/// WebP lossless streams with every transform, colour caches, backward references and meta prefix codes, in simple,
/// extended and animated files, and ALPH chunks of every compression and filter.
/// </summary>
internal static class CodecSeeds
{
    public static IReadOnlyList<byte[]> Png()
    {
        var random = new Random(1);
        var seeds = new List<byte[]>();
        (int Type, int Depth)[] layouts = [(0, 1), (0, 2), (0, 4), (0, 8), (0, 16), (2, 8), (2, 16), (3, 1), (3, 2), (3, 4), (3, 8), (4, 8), (4, 16), (6, 8), (6, 16)];
        foreach ((int type, int depth) in layouts)
        {
            foreach (bool interlaced in new[] { false, true })
            {
                int width = 1 + random.Next(13), height = 1 + random.Next(9);
                byte[] raw = RandomScanlines(random, width, height, type, depth, interlaced);
                var chunks = new List<(string, byte[])> { ("IHDR", PngChunks.Header(width, height, depth, type, interlaced)) };
                if (type == 3)
                {
                    chunks.Add(("PLTE", RandomBytes(random, 3 * (1 << depth))));
                    if (random.Next(2) == 0) chunks.Add(("tRNS", RandomBytes(random, 1 + random.Next(1 << depth))));
                }
                else if (type is 0 or 2 && random.Next(2) == 0)
                {
                    chunks.Add(("tRNS", RandomBytes(random, type == 0 ? 2 : 6)));
                }
                if (random.Next(2) == 0) chunks.Add(("gAMA", [0, 0, 0xB1, 0x8F]));
                // Stored deflate half the time, so mutated bytes reach the filters and the pixel conversion.
                byte[] idat = PngChunks.Zlib(raw, random.Next(2) == 0 ? CompressionLevel.NoCompression : CompressionLevel.Optimal);
                int split = random.Next(idat.Length);
                chunks.Add(("IDAT", idat[..split]));
                chunks.Add(("IDAT", idat[split..]));
                chunks.Add(("tEXt", "Comment\0seed"u8.ToArray()));
                chunks.Add(("IEND", []));
                seeds.Add(PngChunks.Build(chunks));
            }
        }
        seeds.Add(PngEncoder.Encode(Picture(random, 16, 9, PixelFormat.Rgb24)));
        seeds.Add(PngEncoder.Encode(Picture(random, 7, 12, PixelFormat.Rgba32)));
        return seeds;
    }

    public static IReadOnlyList<byte[]> Bmp()
    {
        var random = new Random(2);
        var seeds = new List<byte[]>();
        foreach (int bpp in new[] { 1, 2, 4, 8 })
        {
            int w = 1 + random.Next(17), h = 1 + random.Next(9), colours = 1 << bpp;
            var palette = Enumerable.Range(0, colours).Select(_ => ((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256))).ToArray();
            byte[] pixels = RandomBytes(random, BmpFiles.Stride(w, bpp) * h);
            byte[] bmp = BmpFiles.Build(w, h, bpp, 0, pixels, palette);
            seeds.Add(bmp);
            seeds.Add(BmpFiles.TopDown(bmp));
            if (bpp is 4 or 8)
            {
                var rows = Enumerable.Range(0, h).Select(_ => Enumerable.Range(0, w).Select(x => (byte)(random.Next(3) == 0 ? random.Next(colours) : x % colours)).ToArray()).ToArray();
                seeds.Add(BmpFiles.Build(w, h, bpp, bpp == 8 ? 1u : 2u, BmpFiles.EncodeRle(rows, bpp == 4), palette));
            }
        }
        foreach ((int bpp, uint compression, uint[]? masks) in new (int, uint, uint[]?)[]
        {
            (24, 0, null), (32, 0, null), (16, 0, null), (16, 3, [0xF800, 0x07E0, 0x001F]), (32, 3, [0xFF0000, 0xFF00, 0xFF]),
            (16, 6, [0x0F00, 0x00F0, 0x000F, 0xF000]), (32, 6, [0xFF0000, 0xFF00, 0xFF, 0xFF000000]),
        })
        {
            int w = 1 + random.Next(11), h = 1 + random.Next(7);
            byte[] bmp = BmpFiles.Build(w, h, bpp, compression, RandomBytes(random, BmpFiles.Stride(w, bpp) * h), separateMasks: masks);
            seeds.Add(bmp);
            seeds.Add(BmpFiles.TopDown(bmp));
        }
        // A V5 header with the masks inside it, and a core (OS/2 1.x) header with a 3-byte palette.
        {
            byte[] v5 = BmpFiles.Build(5, 4, 32, 3, RandomBytes(random, 5 * 4 * 4), headerSize: 124);
            BinaryPrimitives.WriteUInt32LittleEndian(v5.AsSpan(14 + 40), 0x00FF0000);
            BinaryPrimitives.WriteUInt32LittleEndian(v5.AsSpan(14 + 44), 0x0000FF00);
            BinaryPrimitives.WriteUInt32LittleEndian(v5.AsSpan(14 + 48), 0x000000FF);
            BinaryPrimitives.WriteUInt32LittleEndian(v5.AsSpan(14 + 52), 0xFF000000);
            seeds.Add(v5);
            var core = new List<byte> { (byte)'B', (byte)'M', 0, 0, 0, 0, 0, 0, 0, 0, 14 + 12 + 48, 0, 0, 0, 12, 0, 0, 0, 6, 0, 3, 0, 1, 0, 4, 0 };
            core.AddRange(RandomBytes(random, 48));
            core.AddRange(RandomBytes(random, 4 * 3));
            seeds.Add(core.ToArray());
        }
        return seeds;
    }

    public static IReadOnlyList<byte[]> Gif()
    {
        var random = new Random(3);
        var seeds = new List<byte[]>();
        for (int minCodeSize = 2; minCodeSize <= 8; minCodeSize++)
        {
            int w = 1 + random.Next(20), h = 1 + random.Next(12), colours = Math.Min(256, 1 << minCodeSize);
            var palette = Enumerable.Range(0, colours).Select(_ => ((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256))).ToArray();
            byte[] indices = Enumerable.Range(0, w * h).Select(i => (byte)(random.Next(4) == 0 ? random.Next(colours) : i / 3 % colours)).ToArray();
            seeds.Add(GifFiles.Build(w, h, indices, palette, minCodeSize, transparentIndex: random.Next(2) == 0 ? random.Next(colours) : -1,
                interlaced: random.Next(2) == 0, localTable: random.Next(2) == 0, subBlockSize: 1 + random.Next(255),
                deferredClear: random.Next(2) == 0, screenWidth: w + random.Next(3), screenHeight: h + random.Next(3)));
        }
        // Extensions before the image: a comment and an application block.
        byte[] plain = GifFiles.Build(6, 5, RandomBytes(random, 30).Select(b => (byte)(b & 3)).ToArray(), [(0, 0, 0), (1, 2, 3), (4, 5, 6), (7, 8, 9)], 2);
        byte[] extensions = [0x21, 0xFE, 4, (byte)'s', (byte)'e', (byte)'e', (byte)'d', 0, 0x21, 0xFF, 11, .. "NETSCAPE2.0"u8, 3, 1, 0, 0, 0];
        seeds.Add([.. plain[..(13 + 12)], .. extensions, .. plain[(13 + 12)..]]);
        return seeds;
    }

    public static IReadOnlyList<byte[]> Webp()
    {
        var random = new Random(4);
        var seeds = new List<byte[]>();
        string[][] transformSets = [[], ["green"], ["predictor"], ["colour"], ["palette"], ["green", "colour", "predictor"], ["palette", "predictor"], ["green", "palette"]];
        for (int i = 0; i < 12; i++)
        {
            int width = 1 + random.Next(14), height = 1 + random.Next(9);
            string[] transforms = transformSets[i % transformSets.Length];
            uint[] argb = WebpLosslessTests.Picture(width, height, transforms.Contains("palette") ? 1 + random.Next(20) : 0, seed: i);
            var options = new WebpFiles.Vp8LOptions
            {
                Transforms = transforms,
                CacheBits = random.Next(3) == 0 ? 0 : 1 + random.Next(11),
                BackwardReferences = random.Next(2) == 0,
                ScanLineDistances = random.Next(2) == 0,
                MetaBits = random.Next(3) == 0 ? 2 : 0,
                BlockBits = 2 + random.Next(3),
                AlphaHint = random.Next(3) != 0,
            };
            seeds.Add(WebpFiles.Lossless(argb, width, height, options));
        }

        // Extended: metadata chunks around the image; an animation whose first frame sits on a larger canvas.
        uint[] small = WebpLosslessTests.Picture(6, 5, 0, seed: 20);
        byte[] vp8l = WebpFiles.Chunk("VP8L", WebpFiles.Vp8L(small, 6, 5, new WebpFiles.Vp8LOptions { Transforms = ["green"], CacheBits = 2 }));
        seeds.Add(WebpFiles.Riff(WebpFiles.Vp8X(0x2C, 6, 5), WebpFiles.Chunk("ICCP", [1, 2, 3]), vp8l, WebpFiles.Chunk("EXIF", [4]), WebpFiles.Chunk("XMP ", [5, 6])));
        seeds.Add(WebpFiles.Riff(WebpFiles.Vp8X(0x12, 10, 9), WebpFiles.Anim(), WebpFiles.Anmf(2, 4, 6, 5, vp8l), WebpFiles.Anmf(0, 0, 6, 5, vp8l)));

        // ALPH chunks (raw and lossless, every filter) before a VP8 key frame header: the alpha plane is decoded first.
        byte[] vp8 = [0x50, 0x01, 0x00, 0x9D, 0x01, 0x2A, 7, 0, 4, 0, 0, 0, 0, 0];
        var alpha = new byte[7 * 4];
        random.NextBytes(alpha);
        for (int filter = 0; filter < 4; filter++)
        {
            byte[] alph = filter % 2 == 0
                ? WebpFiles.RawAlpha(alpha, 7, 4, filter)
                : WebpFiles.LosslessAlpha(alpha, 7, 4, filter, new WebpFiles.Vp8LOptions { Transforms = ["palette"], BackwardReferences = true });
            seeds.Add(WebpFiles.Riff(WebpFiles.Vp8X(0x10, 7, 4), WebpFiles.Chunk("ALPH", alph), WebpFiles.Chunk("VP8 ", vp8)));
        }
        seeds.Add(WebpFiles.Riff(WebpFiles.Chunk("VP8 ", vp8)));
        return seeds;
    }

    private static byte[] RandomScanlines(Random random, int width, int height, int type, int depth, bool interlaced)
    {
        int channels = type switch { 2 => 3, 4 => 2, 6 => 4, _ => 1 };
        var raw = new List<byte>();
        (int X0, int Y0, int Dx, int Dy)[] passes = interlaced
            ? [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
            : [(0, 0, 1, 1)];
        foreach ((int x0, int y0, int dx, int dy) in passes)
        {
            int w = width > x0 ? (width - x0 + dx - 1) / dx : 0, h = height > y0 ? (height - y0 + dy - 1) / dy : 0;
            if (w == 0 || h == 0) continue;
            int rowBytes = (w * channels * depth + 7) / 8;
            for (int y = 0; y < h; y++)
            {
                raw.Add((byte)random.Next(5));
                raw.AddRange(RandomBytes(random, rowBytes));
            }
        }
        return raw.ToArray();
    }

    private static Image Picture(Random random, int width, int height, PixelFormat format)
    {
        var image = new Image(width, height, format);
        random.NextBytes(image.Pixels);
        return image;
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}
