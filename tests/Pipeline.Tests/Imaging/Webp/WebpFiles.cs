using System.Buffers.Binary;
using System.Text;
using Pipeline.Imaging.Webp;

namespace Pipeline.Tests.Imaging.Webp;

/// <summary>
/// A test-side WebP writer: the RIFF container (simple, VP8X, ALPH, ANIM/ANMF) and a small VP8L encoder for layouts
/// no tool has to be asked for: any transform order, colour cache sizes, backward references with plane and scan-line
/// distance codes, several prefix code groups (meta prefix codes), simple and normal prefix codes. Codes are complete
/// but not optimal: lengths ⌈log2 n⌉ and ⌈log2 n⌉ − 1 for n used symbols.
/// </summary>
internal static class WebpFiles
{
    /// <summary>What the VP8L encoder uses.</summary>
    public sealed record Vp8LOptions
    {
        /// <summary>Transforms in stream order: "predictor:mode", "colour", "green", "palette".</summary>
        public string[] Transforms { get; init; } = [];

        /// <summary>Colour cache bits, 0 for none.</summary>
        public int CacheBits { get; init; }

        /// <summary>Emit backward references for runs (of the left or upper pixel).</summary>
        public bool BackwardReferences { get; init; }

        /// <summary>Write backward-reference distances as scan-line codes (distance + 120) instead of plane codes.</summary>
        public bool ScanLineDistances { get; init; }

        /// <summary>Meta prefix code bits (2–9), 0 for one prefix code group; groups alternate per block.</summary>
        public int MetaBits { get; init; }

        /// <summary>The block size bits of the predictor and colour transforms.</summary>
        public int BlockBits { get; init; } = 2;

        /// <summary>The alpha hint in the header.</summary>
        public bool AlphaHint { get; init; } = true;
    }

    /// <summary>A simple lossless file of <paramref name="argb"/> (0xAARRGGBB, row-major).</summary>
    public static byte[] Lossless(uint[] argb, int width, int height, Vp8LOptions? options = null)
        => Riff(Chunk("VP8L", Vp8L(argb, width, height, options ?? new Vp8LOptions())));

    /// <summary>A writer holding the 5-byte VP8L header: signature, 14-bit width − 1 and height − 1, alpha hint, version 0.</summary>
    public static BitWriter Vp8LHeader(int width, int height, bool alphaHint)
    {
        var writer = new BitWriter();
        writer.Write(WebpConstants.Vp8LSignature, 8);
        writer.Write((uint)width - 1, 14);
        writer.Write((uint)height - 1, 14);
        writer.Write(alphaHint ? 1u : 0, 1);
        writer.Write(0, 3);
        return writer;
    }

    /// <summary>A VP8L chunk payload: header and image stream.</summary>
    public static byte[] Vp8L(uint[] argb, int width, int height, Vp8LOptions options)
    {
        BitWriter writer = Vp8LHeader(width, height, options.AlphaHint);
        WriteImageStream(writer, argb, width, height, options);
        return writer.ToArray();
    }

    /// <summary>
    /// A lossless file built to make prefix-code tables expensive: a <paramref name="width"/> × <paramref name="height"/>
    /// image (alpha hint set) whose entropy image (blocks of 2^<paramref name="metaBits"/> pixels) names
    /// <paramref name="groupCount"/> groups. With <paramref name="everyBlockItsOwnGroup"/> block i uses group i (so every
    /// group is used); otherwise every block uses the last group and the others are only read. Each group's five codes
    /// are simple codes of <paramref name="symbolsPerCode"/> (1 or 2) symbols, 0 (and 1); every pixel is symbol 0 of
    /// each code, so the image decodes to transparent black, with zero bits a pixel for one-symbol codes.
    /// </summary>
    public static byte[] ManyPrefixCodeGroups(int width, int height, int metaBits, int groupCount, bool everyBlockItsOwnGroup,
        int symbolsPerCode = 1, int cacheBits = 0)
    {
        BitWriter writer = Vp8LHeader(width, height, alphaHint: true);
        writer.Write(0, 1); // no transforms
        writer.Write(cacheBits > 0 ? 1u : 0, 1);
        if (cacheBits > 0) writer.Write((uint)cacheBits, 4);
        writer.Write(1, 1); // meta prefix codes
        writer.Write((uint)metaBits - 2, 3);
        int metaWidth = DivRoundUp(width, metaBits), metaHeight = DivRoundUp(height, metaBits);
        if (everyBlockItsOwnGroup && groupCount != metaWidth * metaHeight)
            throw new ArgumentException($"{metaWidth * metaHeight} blocks cannot use {groupCount} groups one each");
        // The group number lives in red (high byte) and green (low byte).
        uint[] meta = Enumerable.Range(0, metaWidth * metaHeight)
            .Select(i => (uint)(everyBlockItsOwnGroup ? i : groupCount - 1) << 8 | 0xFF000000).ToArray();
        WriteEntropyCodedImage(writer, meta, metaWidth, metaHeight, new Vp8LOptions(), isArgbImage: false);
        for (int g = 0; g < groupCount; g++)
        {
            for (int c = 0; c < 5; c++)
            {
                writer.Write(1, 1); // simple code
                writer.Write((uint)symbolsPerCode - 1, 1);
                writer.Write(0, 1); // the first symbol in one bit
                writer.Write(0, 1); // symbol 0
                if (symbolsPerCode == 2) writer.Write(1, 8); // symbol 1
            }
        }
        if (symbolsPerCode == 2)
        {
            // Green, red, blue and alpha each send symbol 0, one 0 bit.
            for (long bits = 4L * width * height; bits > 0; bits -= 32) writer.Write(0, (int)Math.Min(32, bits));
        }
        return Riff(Chunk("VP8L", writer.ToArray()));
    }

    /// <summary>An ALPH payload with lossless compression (a headerless VP8L stream of the alpha in green) and a filter.</summary>
    public static byte[] LosslessAlpha(byte[] alpha, int width, int height, int filter, Vp8LOptions? options = null)
    {
        byte[] filtered = Filter(alpha, width, height, filter);
        var writer = new BitWriter();
        writer.Write((uint)(WebpConstants.AlphaLossless | filter << 2), 8);
        WriteImageStream(writer, filtered.Select(a => 0xFF000000u | (uint)a << 8).ToArray(), width, height, options ?? new Vp8LOptions());
        return writer.ToArray();
    }

    /// <summary>An ALPH payload with raw (uncompressed) filtered alpha.</summary>
    public static byte[] RawAlpha(byte[] alpha, int width, int height, int filter)
        => [(byte)(filter << 2), .. Filter(alpha, width, height, filter)];

    /// <summary>The filtered residuals of an alpha plane (the inverse of the ALPH unfiltering).</summary>
    public static byte[] Filter(byte[] alpha, int width, int height, int filter)
    {
        var output = new byte[alpha.Length];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                int i = y * width + x;
                int left = x > 0 ? alpha[i - 1] : y > 0 ? alpha[i - width] : 0;
                int predicted = filter switch
                {
                    0 => 0,
                    _ when y == 0 => x > 0 ? alpha[i - 1] : 0,
                    _ when x == 0 => alpha[i - width],
                    1 => left,
                    2 => alpha[i - width],
                    _ => Math.Clamp(alpha[i - 1] + alpha[i - width] - alpha[i - width - 1], 0, 255),
                };
                output[i] = (byte)(alpha[i] - predicted);
            }
        }
        return output;
    }

    /// <summary>A RIFF/WEBP file of <paramref name="chunks"/>.</summary>
    public static byte[] Riff(params byte[][] chunks)
    {
        var body = new List<byte>();
        body.AddRange("WEBP"u8.ToArray());
        foreach (byte[] c in chunks) body.AddRange(c);
        var file = new List<byte>();
        file.AddRange("RIFF"u8.ToArray());
        file.AddRange(BitConverter.GetBytes((uint)body.Count));
        file.AddRange(body);
        return [.. file];
    }

    /// <summary>A chunk: FourCC, size, payload, pad byte.</summary>
    public static byte[] Chunk(string fourCc, byte[] payload)
    {
        var chunk = new List<byte>();
        chunk.AddRange(Encoding.ASCII.GetBytes(fourCc));
        chunk.AddRange(BitConverter.GetBytes((uint)payload.Length));
        chunk.AddRange(payload);
        if (payload.Length % 2 == 1) chunk.Add(0);
        return [.. chunk];
    }

    /// <summary>A VP8X chunk.</summary>
    public static byte[] Vp8X(byte flags, int canvasWidth, int canvasHeight)
        => Chunk("VP8X", [flags, 0, 0, 0, .. UInt24(canvasWidth - 1), .. UInt24(canvasHeight - 1)]);

    /// <summary>An ANMF chunk holding <paramref name="frameChunks"/> at (<paramref name="left"/>, <paramref name="top"/>) (even).</summary>
    public static byte[] Anmf(int left, int top, int width, int height, params byte[][] frameChunks)
        => Chunk("ANMF", [.. UInt24(left / 2), .. UInt24(top / 2), .. UInt24(width - 1), .. UInt24(height - 1), .. UInt24(100), 0, .. frameChunks.SelectMany(c => c)]);

    /// <summary>An ANIM chunk: background colour, loop count.</summary>
    public static byte[] Anim() => Chunk("ANIM", [0xFF, 0xFF, 0xFF, 0xFF, 0, 0]);

    /// <summary>The payload of the first chunk of a simple file (the VP8L or VP8 stream ImageMagick wrote).</summary>
    public static (string FourCc, byte[] Payload) FirstChunk(byte[] file)
    {
        string fourCc = Encoding.ASCII.GetString(file, 12, 4);
        int size = (int)BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(16));
        return (fourCc, file.AsSpan(20, size).ToArray());
    }

    /// <summary>The payload of the first chunk named <paramref name="fourCc"/> at the top level of a file, or null.</summary>
    public static byte[]? FindChunk(byte[] file, string fourCc)
    {
        for (int pos = 12; pos + 8 <= file.Length;)
        {
            int size = (int)BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(pos + 4));
            if (Encoding.ASCII.GetString(file, pos, 4) == fourCc) return file.AsSpan(pos + 8, size).ToArray();
            pos += 8 + size + (size & 1);
        }
        return null;
    }

    private static byte[] UInt24(int value) => [(byte)value, (byte)(value >> 8), (byte)(value >> 16)];

    // Transforms (forward, in stream order), then the entropy-coded main image.
    private static void WriteImageStream(BitWriter writer, uint[] argb, int width, int height, Vp8LOptions options)
    {
        uint[] pixels = (uint[])argb.Clone();
        int codedWidth = width;
        foreach (string transform in options.Transforms)
        {
            writer.Write(1, 1);
            string[] parts = transform.Split(':');
            switch (parts[0])
            {
                case "predictor":
                {
                    writer.Write(WebpConstants.PredictorTransform, 2);
                    writer.Write((uint)options.BlockBits - 2, 3);
                    int bw = DivRoundUp(codedWidth, options.BlockBits), bh = DivRoundUp(height, options.BlockBits);
                    // A fixed mode, or (no mode given) every mode in turn, block by block.
                    uint[] modes = Enumerable.Range(0, bw * bh).Select(i => (uint)((parts.Length > 1 ? int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) : i % 14) << 8)).ToArray();
                    WriteEntropyCodedImage(writer, modes, bw, bh, options with { MetaBits = 0 }, isArgbImage: false);
                    pixels = PredictForward(pixels, codedWidth, height, modes, options.BlockBits);
                    break;
                }
                case "colour":
                {
                    writer.Write(WebpConstants.ColorTransform, 2);
                    writer.Write((uint)options.BlockBits - 2, 3);
                    int bw = DivRoundUp(codedWidth, options.BlockBits), bh = DivRoundUp(height, options.BlockBits);
                    uint[] elements = Enumerable.Range(0, bw * bh).Select(i => 0xFF000000u | (uint)(i * 37 % 256) << 16 | (uint)(i * 91 % 256) << 8 | (uint)(i * 53 % 256)).ToArray();
                    WriteEntropyCodedImage(writer, elements, bw, bh, options with { MetaBits = 0 }, isArgbImage: false);
                    pixels = ColourForward(pixels, codedWidth, height, elements, options.BlockBits);
                    break;
                }
                case "green":
                    writer.Write(WebpConstants.SubtractGreenTransform, 2);
                    for (int i = 0; i < pixels.Length; i++)
                    {
                        uint p = pixels[i], g = (p >> 8) & 0xFF;
                        uint r = ((p >> 16) - g) & 0xFF, b = (p - g) & 0xFF;
                        pixels[i] = (p & 0xFF00FF00) | r << 16 | b;
                    }
                    break;
                default:
                {
                    writer.Write(WebpConstants.ColorIndexingTransform, 2);
                    uint[] palette = pixels.Distinct().ToArray();
                    if (palette.Length > 256) throw new ArgumentException("more than 256 colours");
                    writer.Write((uint)palette.Length - 1, 8);
                    uint[] deltas = palette.Select((p, i) => i == 0 ? p : Subtract(p, palette[i - 1])).ToArray();
                    WriteEntropyCodedImage(writer, deltas, palette.Length, 1, options with { MetaBits = 0 }, isArgbImage: false);
                    int bits = palette.Length > 16 ? 0 : palette.Length > 4 ? 1 : palette.Length > 2 ? 2 : 3;
                    int packedWidth = DivRoundUp(codedWidth, bits);
                    var packed = new uint[packedWidth * height];
                    var index = palette.Select((p, i) => (p, i)).ToDictionary(t => t.p, t => t.i);
                    for (int y = 0; y < height; y++)
                    {
                        for (int x = 0; x < codedWidth; x++)
                            packed[y * packedWidth + (x >> bits)] |= (uint)index[pixels[y * codedWidth + x]] << (8 + (x & ((1 << bits) - 1)) * (8 >> bits));
                    }
                    for (int i = 0; i < packed.Length; i++) packed[i] |= 0xFF000000;
                    pixels = packed;
                    codedWidth = packedWidth;
                    break;
                }
            }
        }
        writer.Write(0, 1);
        WriteEntropyCodedImage(writer, pixels, codedWidth, height, options, isArgbImage: true);
    }

    private static int DivRoundUp(int value, int bits) => (value + (1 << bits) - 1) >> bits;

    private static uint Subtract(uint a, uint b)
    {
        uint result = 0;
        for (int s = 0; s < 32; s += 8) result |= (((a >> s) - (b >> s)) & 0xFF) << s;
        return result;
    }

    private static uint[] PredictForward(uint[] pixels, int width, int height, uint[] modes, int bits)
    {
        var residuals = new uint[pixels.Length];
        int bw = DivRoundUp(width, bits);
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                int i = y * width + x;
                uint predicted;
                if (y == 0) predicted = x == 0 ? 0xFF000000 : pixels[i - 1];
                else if (x == 0) predicted = pixels[i - width];
                else
                {
                    int mode = (int)(modes[(y >> bits) * bw + (x >> bits)] >> 8) & 0xF;
                    // Top-right of the last column is the first pixel of the current row (i − width + 1).
                    predicted = Vp8LPredictor.Predict(mode, pixels[i - 1], pixels[i - width], pixels[i - width + 1], pixels[i - width - 1]);
                }
                residuals[i] = Subtract(pixels[i], predicted);
            }
        }
        return residuals;
    }

    private static uint[] ColourForward(uint[] pixels, int width, int height, uint[] elements, int bits)
    {
        var output = new uint[pixels.Length];
        int bw = DivRoundUp(width, bits);
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                uint e = elements[(y >> bits) * bw + (x >> bits)], p = pixels[y * width + x];
                int g2r = (sbyte)e, g2b = (sbyte)(e >> 8), r2b = (sbyte)(e >> 16);
                int g = (sbyte)(p >> 8), r = (int)(p >> 16) & 0xFF, b = (int)p & 0xFF;
                int newRed = (r - ((g2r * g) >> 5)) & 0xFF;
                int newBlue = (b - ((g2b * g) >> 5) - ((r2b * (sbyte)r) >> 5)) & 0xFF;
                output[y * width + x] = (p & 0xFF00FF00) | (uint)newRed << 16 | (uint)newBlue;
            }
        }
        return output;
    }

    // A token: a literal pixel, a cache index, or a backward reference (length, distance code).
    private readonly record struct Token(int Kind, uint Pixel, int Length, int DistanceCode, int Group);

    private static void WriteEntropyCodedImage(BitWriter writer, uint[] pixels, int width, int height, Vp8LOptions options, bool isArgbImage)
    {
        int cacheBits = options.CacheBits;
        if (cacheBits > 0)
        {
            writer.Write(1, 1);
            writer.Write((uint)cacheBits, 4);
        }
        else
        {
            writer.Write(0, 1);
        }
        int groups = 1;
        int metaBits = isArgbImage ? options.MetaBits : 0;
        int metaWidth = 0;
        if (isArgbImage)
        {
            writer.Write(metaBits > 0 ? 1u : 0, 1);
            if (metaBits > 0)
            {
                writer.Write((uint)metaBits - 2, 3);
                metaWidth = DivRoundUp(width, metaBits);
                int metaHeight = DivRoundUp(height, metaBits);
                // Three groups, in a checkerboard-ish pattern; the group number lives in red and green.
                uint[] meta = Enumerable.Range(0, metaWidth * metaHeight).Select(i => (uint)(i % 3) << 8).ToArray();
                WriteEntropyCodedImage(writer, meta, metaWidth, metaHeight, options with { MetaBits = 0, CacheBits = 0 }, isArgbImage: false);
                groups = Math.Min(3, meta.Length); // the largest group number + 1
            }
        }

        // Tokenise.
        var tokens = new List<Token>();
        var cache = cacheBits > 0 ? new uint[1 << cacheBits] : null;
        int total = width * height;
        for (int pos = 0; pos < total;)
        {
            int group = metaBits > 0 ? ((pos / width >> metaBits) * metaWidth + (pos % width >> metaBits)) % 3 : 0;
            int run = 0, distance = 0;
            if (options.BackwardReferences)
            {
                foreach (int d in new[] { 1, width })
                {
                    if (d > pos) continue;
                    int n = 0;
                    while (pos + n < total && n < 4096 && pixels[pos + n] == pixels[pos + n - d]) n++;
                    if (n > run) (run, distance) = (n, d);
                }
            }
            if (run >= 3)
            {
                int code = options.ScanLineDistances ? distance + 120 : distance == 1 ? 2 : distance == width ? 1 : distance + 120;
                tokens.Add(new Token(1, 0, run, code, group));
                for (int i = 0; i < run; i++) Insert(cache, cacheBits, pixels[pos + i]);
                pos += run;
                continue;
            }
            uint p = pixels[pos];
            if (cache is not null && cache[Vp8LColorCache.Slot(p, cacheBits)] == p)
                tokens.Add(new Token(2, p, Vp8LColorCache.Slot(p, cacheBits), 0, group));
            else
                tokens.Add(new Token(0, p, 0, 0, group));
            Insert(cache, cacheBits, p);
            pos++;
        }

        // Histograms and codes per group, then the codes and the tokens.
        int greenSize = 256 + 24 + (cacheBits > 0 ? 1 << cacheBits : 0);
        int[] sizes = [greenSize, 256, 256, 256, 40];
        var lengths = new byte[groups][][];
        for (int g = 0; g < groups; g++)
        {
            var histograms = sizes.Select(s => new int[s]).ToArray();
            foreach (Token t in tokens.Where(t => t.Group == g))
            {
                switch (t.Kind)
                {
                    case 0:
                        histograms[0][(t.Pixel >> 8) & 0xFF]++;
                        histograms[1][(t.Pixel >> 16) & 0xFF]++;
                        histograms[2][t.Pixel & 0xFF]++;
                        histograms[3][t.Pixel >> 24]++;
                        break;
                    case 1:
                        histograms[0][256 + Prefix(t.Length).Symbol]++;
                        histograms[4][Prefix(t.DistanceCode).Symbol]++;
                        break;
                    default:
                        histograms[0][280 + t.Length]++;
                        break;
                }
            }
            lengths[g] = new byte[5][];
            for (int c = 0; c < 5; c++) lengths[g][c] = WriteCode(writer, histograms[c]);
        }
        foreach (Token t in tokens)
        {
            byte[][] l = lengths[t.Group];
            switch (t.Kind)
            {
                case 0:
                    WriteSymbol(writer, l[0], (int)(t.Pixel >> 8) & 0xFF);
                    WriteSymbol(writer, l[1], (int)(t.Pixel >> 16) & 0xFF);
                    WriteSymbol(writer, l[2], (int)t.Pixel & 0xFF);
                    WriteSymbol(writer, l[3], (int)(t.Pixel >> 24));
                    break;
                case 1:
                {
                    var (symbol, extraBits, extra) = Prefix(t.Length);
                    WriteSymbol(writer, l[0], 256 + symbol);
                    writer.Write((uint)extra, extraBits);
                    (symbol, extraBits, extra) = Prefix(t.DistanceCode);
                    WriteSymbol(writer, l[4], symbol);
                    writer.Write((uint)extra, extraBits);
                    break;
                }
                default:
                    WriteSymbol(writer, l[0], 280 + t.Length);
                    break;
            }
        }
    }

    private static void Insert(uint[]? cache, int bits, uint pixel)
    {
        if (cache is not null) cache[Vp8LColorCache.Slot(pixel, bits)] = pixel;
    }

    // The prefix symbol and extra bits of a length or distance value (1-based).
    private static (int Symbol, int ExtraBits, int Extra) Prefix(int value)
    {
        if (value <= 4) return (value - 1, 0, 0);
        int d = value - 1, high = 31 - System.Numerics.BitOperations.LeadingZeroCount((uint)d);
        int second = (d >> (high - 1)) & 1;
        return (2 * high + second, high - 1, d - ((2 + second) << (high - 1)));
    }

    // Writes a complete prefix code for the used symbols of the histogram and returns its code lengths.
    private static byte[] WriteCode(BitWriter writer, int[] histogram)
    {
        int[] used = Enumerable.Range(0, histogram.Length).Where(s => histogram[s] > 0).ToArray();
        if (used.Length == 0) used = [0];
        var lengths = new byte[histogram.Length];
        if (used.Length <= 2 && used.All(s => s < 256))
        {
            // Simple code: one or two symbols, the first in 1 or 8 bits.
            writer.Write(1, 1);
            writer.Write((uint)used.Length - 1, 1);
            bool eightBits = used[0] > 1;
            writer.Write(eightBits ? 1u : 0, 1);
            writer.Write((uint)used[0], eightBits ? 8 : 1);
            if (used.Length == 2) writer.Write((uint)used[1], 8);
            foreach (int s in used) lengths[s] = (byte)(used.Length == 1 ? 0 : 1);
            return lengths;
        }
        Balanced(used, lengths);
        // The code-length code over the lengths that occur.
        var clHistogram = new int[19];
        foreach (byte l in lengths) clHistogram[l]++;
        int[] clUsed = Enumerable.Range(0, 19).Where(s => clHistogram[s] > 0).ToArray();
        var clLengths = new byte[19];
        if (clUsed.Length == 1) clLengths[clUsed[0]] = 1;
        else Balanced(clUsed, clLengths);
        ReadOnlySpan<byte> order = WebpConstants.CodeLengthCodeOrder;
        int count = 19;
        while (count > 4 && clLengths[order[count - 1]] == 0) count--;
        writer.Write(0, 1); // normal code
        writer.Write((uint)count - 4, 4);
        for (int i = 0; i < count; i++) writer.Write(clLengths[order[i]], 3);
        writer.Write(0, 1); // max_symbol: the whole alphabet
        if (clUsed.Length > 1) // a one-symbol code-length code takes no bits
        {
            foreach (byte l in lengths) WriteSymbol(writer, clLengths, l);
        }
        if (used.Length == 1) lengths[used[0]] = 0; // a one-symbol code takes no bits
        return lengths;
    }

    // Lengths k − 1 and k (k = ⌈log2 n⌉) that fill the code space exactly; one symbol gets length 1.
    private static void Balanced(int[] used, byte[] lengths)
    {
        int n = used.Length;
        if (n == 1)
        {
            lengths[used[0]] = 1;
            return;
        }
        int k = 1;
        while (1 << k < n) k++;
        int shorter = (1 << k) - n;
        for (int i = 0; i < n; i++) lengths[used[i]] = (byte)(i < shorter ? k - 1 : k);
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<byte[], int[]> CanonicalCodes = [];

    // Writes a symbol's canonical code, most significant bit first.
    private static void WriteSymbol(BitWriter writer, byte[] lengths, int symbol)
    {
        int length = lengths[symbol];
        if (length == 0) return;
        int[] codes = CanonicalCodes.GetValue(lengths, Canonical);
        for (int i = length - 1; i >= 0; i--) writer.Write((uint)(codes[symbol] >> i) & 1, 1);
    }

    private static int[] Canonical(byte[] lengths)
    {
        var count = new int[16];
        foreach (byte l in lengths) count[l]++;
        count[0] = 0;
        var next = new int[16];
        for (int bits = 1, code = 0; bits < 16; bits++)
        {
            code = (code + count[bits - 1]) << 1;
            next[bits] = code;
        }
        var codes = new int[lengths.Length];
        for (int s = 0; s < lengths.Length; s++)
        {
            if (lengths[s] != 0) codes[s] = next[lengths[s]]++;
        }
        return codes;
    }

    /// <summary>Writes bits least significant first.</summary>
    public sealed class BitWriter
    {
        private readonly List<byte> bytes = [];
        private ulong buffer;
        private int count;

        public void Write(uint value, int bits)
        {
            buffer |= (ulong)(value & (uint)((1UL << bits) - 1)) << count;
            count += bits;
            while (count >= 8)
            {
                bytes.Add((byte)buffer);
                buffer >>= 8;
                count -= 8;
            }
        }

        public byte[] ToArray()
        {
            var result = new List<byte>(bytes);
            if (count > 0) result.Add((byte)buffer);
            return [.. result];
        }
    }
}
