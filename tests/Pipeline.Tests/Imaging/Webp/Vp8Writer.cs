using System.Buffers.Binary;
using Pipeline.Imaging.Webp;

namespace Pipeline.Tests.Imaging.Webp;

/// <summary>
/// A test-side VP8 key-frame writer for what ImageMagick's libwebp will not write (ImageMagick 6.9.11 ignores
/// webp:partitions, so its files always have one token partition): any number of token partitions, filter settings
/// and segment deltas chosen by the test, and seeded random modes (16×16 and B_PRED) and coefficients.
/// It has its own boolean encoder (RFC 6386 section 7.3) and token writer; the spec's tables come from
/// <see cref="Vp8Tables"/>, which is safe because ImageMagick decodes the files as the reference: a wrong table
/// would make libwebp read other modes or coefficients than the ones the decoder under test reads.
/// </summary>
internal static class Vp8Writer
{
    /// <summary>The settings of one synthetic frame.</summary>
    public sealed record Settings(int Width, int Height, int Log2Partitions, int FilterLevel, bool SimpleFilter, int Sharpness,
        bool Segments, int Seed, int QuantizerIndex = 40, bool OmitSegmentData = false);

    /// <summary>A complete RIFF WebP file holding one synthetic key frame.</summary>
    public static byte[] BuildFile(Settings s)
    {
        byte[] vp8 = BuildFrame(s);
        var file = new byte[20 + vp8.Length + (vp8.Length & 1)];
        "RIFF"u8.CopyTo(file);
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(4), (uint)(file.Length - 8));
        "WEBPVP8 "u8.CopyTo(file.AsSpan(8));
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(16), (uint)vp8.Length);
        vp8.CopyTo(file, 20);
        return file;
    }

    private static byte[] BuildFrame(Settings s)
    {
        var random = new Random(s.Seed);
        int mbWidth = (s.Width + 15) / 16, mbHeight = (s.Height + 15) / 16;
        int partitions = 1 << s.Log2Partitions;
        var first = new BoolEncoder();
        var tokens = new BoolEncoder[partitions];
        for (int i = 0; i < partitions; i++) tokens[i] = new BoolEncoder();

        // Frame header (RFC 6386 section 19.2).
        first.Literal(0, 1); // colour space
        first.Literal(0, 1); // clamping type
        first.Flag(s.Segments);
        byte[] segmentProbs = [120, 90, 200];
        if (s.Segments)
        {
            first.Flag(true); // update map
            first.Flag(!s.OmitSegmentData); // update data
            if (!s.OmitSegmentData)
            {
                first.Flag(false); // deltas, not absolute values
                int[] quantDeltas = [0, -12, 9, 25];
                int[] filterDeltas = [0, 5, -8, 20];
                foreach (int d in quantDeltas) { first.Flag(true); first.Literal(Math.Abs(d), 7); first.Flag(d < 0); }
                foreach (int d in filterDeltas) { first.Flag(true); first.Literal(Math.Abs(d), 6); first.Flag(d < 0); }
            }
            foreach (byte p in segmentProbs) { first.Flag(true); first.Literal(p, 8); }
        }
        first.Flag(s.SimpleFilter);
        first.Literal(s.FilterLevel, 6);
        first.Literal(s.Sharpness, 3);
        first.Flag(true); // filter deltas on
        first.Flag(true); // and updated
        for (int i = 0; i < 4; i++) { first.Flag(i == 0); if (i == 0) { first.Literal(3, 6); first.Flag(false); } } // intra frame +3
        for (int i = 0; i < 4; i++) { first.Flag(i == 0); if (i == 0) { first.Literal(4, 6); first.Flag(true); } } // B_PRED −4
        first.Literal(s.Log2Partitions, 2);
        first.Literal(s.QuantizerIndex, 7);
        first.Flag(false); // y dc delta
        first.Flag(true); first.Literal(3, 4); first.Flag(true); // y2 dc delta −3
        first.Flag(false); // y2 ac delta
        first.Flag(true); first.Literal(5, 4); first.Flag(false); // uv dc delta +5
        first.Flag(false); // uv ac delta
        first.Flag(false); // refresh entropy probs
        ReadOnlySpan<byte> updates = Vp8Tables.CoefficientUpdateProbabilities;
        for (int i = 0; i < updates.Length; i++) first.Bool(false, updates[i]);
        const int skipProb = 60;
        first.Flag(true);
        first.Literal(skipProb, 8);

        // Macroblocks.
        var aboveNz = new int[mbWidth * 9];
        var leftNz = new int[9];
        var aboveModes = new int[mbWidth * 4];
        var leftModes = new int[4];
        var coefficients = new int[16];
        for (int mbY = 0; mbY < mbHeight; mbY++)
        {
            Array.Clear(leftNz);
            Array.Clear(leftModes);
            BoolEncoder t = tokens[mbY & (partitions - 1)];
            for (int mbX = 0; mbX < mbWidth; mbX++)
            {
                Span<int> above = aboveNz.AsSpan(9 * mbX, 9);
                if (s.Segments)
                {
                    int segment = random.Next(4);
                    first.Bool(segment >= 2, segmentProbs[0]);
                    first.Bool((segment & 1) != 0, segmentProbs[segment >= 2 ? 2 : 1]);
                }
                bool skip = random.Next(5) == 0;
                first.Bool(skip, skipProb);
                bool bPred = random.Next(3) == 0;
                first.Bool(!bPred, 145);
                if (!bPred)
                {
                    int yMode = random.Next(4); // DC V H TM
                    first.Bool(yMode >= 2, 156);
                    first.Bool(yMode is 1 or 3, yMode >= 2 ? 128 : 163);
                    int implied = yMode switch { 0 => 0, 1 => 2, 2 => 3, _ => 1 };
                    aboveModes.AsSpan(4 * mbX, 4).Fill(implied);
                    leftModes.AsSpan().Fill(implied);
                }
                else
                {
                    var modes = new int[16];
                    for (int b = 0; b < 16; b++)
                    {
                        int a = b < 4 ? aboveModes[4 * mbX + b] : modes[b - 4];
                        int l = (b & 3) == 0 ? leftModes[b >> 2] : modes[b - 1];
                        int mode = random.Next(10);
                        WriteSubblockMode(first, mode, Vp8Tables.KeyFrameSubblockModeProbabilities.Slice((a * 10 + l) * 9, 9));
                        modes[b] = mode;
                    }
                    for (int i = 0; i < 4; i++) { aboveModes[4 * mbX + i] = modes[12 + i]; leftModes[i] = modes[4 * i + 3]; }
                }
                int uvMode = random.Next(4);
                first.Bool(uvMode != 0, 142);
                if (uvMode != 0) { first.Bool(uvMode != 1, 114); if (uvMode != 1) first.Bool(uvMode == 3, 183); }

                if (skip)
                {
                    for (int i = 0; i < 8; i++) above[i] = leftNz[i] = 0;
                    if (!bPred) above[8] = leftNz[8] = 0;
                    continue;
                }
                int firstCoeff = 0, lumaType = 3;
                if (!bPred)
                {
                    Fill(random, coefficients, 0);
                    int flag = WriteBlock(t, 1, above[8] + leftNz[8], 0, coefficients);
                    above[8] = leftNz[8] = flag;
                    firstCoeff = 1;
                    lumaType = 0;
                }
                for (int b = 0; b < 16; b++)
                {
                    int x = b & 3, y = b >> 2;
                    Fill(random, coefficients, firstCoeff);
                    int flag = WriteBlock(t, lumaType, above[x] + leftNz[y], firstCoeff, coefficients);
                    above[x] = leftNz[y] = flag;
                }
                for (int plane = 0; plane < 2; plane++)
                {
                    for (int b = 0; b < 4; b++)
                    {
                        int x = 4 + 2 * plane + (b & 1), y = 4 + 2 * plane + (b >> 1);
                        Fill(random, coefficients, 0);
                        int flag = WriteBlock(t, 2, above[x] + leftNz[y], 0, coefficients);
                        above[x] = leftNz[y] = flag;
                    }
                }
            }
        }

        byte[] firstBytes = first.Finish();
        var parts = tokens.Select(e => e.Finish()).ToArray();
        var frame = new List<byte>();
        int tag = 0 /* key frame, version 0 */ | (1 << 4) /* shown */ | (firstBytes.Length << 5);
        frame.AddRange([(byte)tag, (byte)(tag >> 8), (byte)(tag >> 16), 0x9D, 0x01, 0x2A,
            (byte)s.Width, (byte)(s.Width >> 8), (byte)s.Height, (byte)(s.Height >> 8)]);
        frame.AddRange(firstBytes);
        for (int i = 0; i < partitions - 1; i++) frame.AddRange([(byte)parts[i].Length, (byte)(parts[i].Length >> 8), (byte)(parts[i].Length >> 16)]);
        foreach (byte[] p in parts) frame.AddRange(p);
        return [.. frame];
    }

    /// <summary>Random coefficients in scan order from <paramref name="first"/>: mostly zero, some small, a few large, some blocks empty.</summary>
    private static void Fill(Random random, int[] coefficients, int first)
    {
        Array.Clear(coefficients);
        if (random.Next(3) == 0) return;
        int count = random.Next(1, 6);
        for (int i = 0; i < count; i++)
        {
            int position = Math.Min(15, first + (int)(random.NextDouble() * random.NextDouble() * 16));
            int magnitude = random.Next(8) == 0 ? random.Next(5, 35) : random.Next(1, 4);
            coefficients[position] = random.Next(2) == 0 ? magnitude : -magnitude;
        }
    }

    /// <summary>Writes one block's tokens (section 13); returns the context flag the decoder derives (a token beyond the first position).</summary>
    private static int WriteBlock(BoolEncoder e, int type, int ctx, int first, int[] coefficients)
    {
        ReadOnlySpan<byte> probs = Vp8Tables.DefaultCoefficientProbabilities;
        ReadOnlySpan<byte> bands = Vp8Tables.Bands;
        int last = 15;
        while (last >= first && coefficients[last] == 0) last--;
        int p = type * Vp8Tables.ProbabilitiesPerType + bands[first] * Vp8Tables.ProbabilitiesPerBand + ctx * Vp8Tables.NodesPerContext;
        bool afterZero = false;
        for (int n = first; n <= last; n++)
        {
            int c = coefficients[n];
            if (!afterZero) e.Bool(true, probs[p]); // not the end of the block
            int nextCtx;
            if (c == 0)
            {
                e.Bool(false, probs[p + 1]);
                afterZero = true;
                nextCtx = 0;
            }
            else
            {
                e.Bool(true, probs[p + 1]);
                int v = Math.Abs(c);
                if (v == 1) { e.Bool(false, probs[p + 2]); nextCtx = 1; }
                else { e.Bool(true, probs[p + 2]); WriteLarge(e, v, probs.Slice(p, 11)); nextCtx = 2; }
                e.Flag(c < 0);
                afterZero = false;
            }
            p = type * Vp8Tables.ProbabilitiesPerType + bands[n + 1] * Vp8Tables.ProbabilitiesPerBand + nextCtx * Vp8Tables.NodesPerContext;
        }
        if (last < 15) e.Bool(false, probs[p]); // end of block
        return last >= first ? 1 : 0;
    }

    private static void WriteLarge(BoolEncoder e, int v, ReadOnlySpan<byte> p)
    {
        if (v <= 4)
        {
            e.Bool(false, p[3]);
            e.Bool(v != 2, p[4]);
            if (v != 2) e.Bool(v == 4, p[5]);
            return;
        }
        e.Bool(true, p[3]);
        if (v <= 10)
        {
            e.Bool(false, p[6]);
            e.Bool(v >= 7, p[7]);
            if (v <= 6) Extra(e, v - 5, Vp8Tables.Cat1Probabilities);
            else Extra(e, v - 7, Vp8Tables.Cat2Probabilities);
            return;
        }
        e.Bool(true, p[6]);
        e.Bool(false, p[8]);
        e.Bool(v >= 19, p[9]);
        if (v <= 18) Extra(e, v - 11, Vp8Tables.Cat3Probabilities);
        else Extra(e, v - 19, Vp8Tables.Cat4Probabilities); // up to 34
    }

    private static void Extra(BoolEncoder e, int value, ReadOnlySpan<byte> probs)
    {
        for (int i = 0; i < probs.Length; i++) e.Bool(((value >> (probs.Length - 1 - i)) & 1) != 0, probs[i]);
    }

    private static void WriteSubblockMode(BoolEncoder e, int mode, ReadOnlySpan<byte> p)
    {
        // Tree order: DC | TM | VE | (HE | (RD | VR)) | (LD | (VL | (HD | HU))).
        e.Bool(mode != 0, p[0]);
        if (mode == 0) return;
        e.Bool(mode != 1, p[1]);
        if (mode == 1) return;
        e.Bool(mode != 2, p[2]);
        if (mode == 2) return;
        bool right = mode is 4 or 7 or 8 or 9;
        e.Bool(right, p[3]);
        if (!right)
        {
            e.Bool(mode != 3, p[4]);
            if (mode != 3) e.Bool(mode == 6, p[5]);
            return;
        }
        e.Bool(mode != 4, p[6]);
        if (mode == 4) return;
        e.Bool(mode != 7, p[7]);
        if (mode != 7) e.Bool(mode == 9, p[8]);
    }

    /// <summary>The boolean encoder of RFC 6386 section 7.3, flushed with 32 zero bits of probability 1/2.</summary>
    private sealed class BoolEncoder
    {
        private readonly List<byte> _output = [];
        private uint _range = 255;
        private uint _bottom;
        private int _bitCount = 24;

        public void Bool(bool bit, int prob)
        {
            uint split = 1 + (((_range - 1) * (uint)prob) >> 8);
            if (bit)
            {
                _bottom += split;
                _range -= split;
            }
            else
            {
                _range = split;
            }
            while (_range < 128)
            {
                _range <<= 1;
                if ((_bottom & (1u << 31)) != 0) CarryIntoOutput();
                _bottom <<= 1;
                if (--_bitCount == 0)
                {
                    _output.Add((byte)(_bottom >> 24));
                    _bottom &= (1 << 24) - 1;
                    _bitCount = 8;
                }
            }
        }

        public void Flag(bool bit) => Bool(bit, 128);

        public void Literal(int value, int bits)
        {
            for (int i = bits - 1; i >= 0; i--) Flag(((value >> i) & 1) != 0);
        }

        public byte[] Finish()
        {
            for (int i = 0; i < 32; i++) Flag(false);
            return [.. _output];
        }

        private void CarryIntoOutput()
        {
            int i = _output.Count - 1;
            while (i >= 0 && _output[i] == 255) _output[i--] = 0;
            if (i >= 0) _output[i]++;
        }
    }
}
