using Pipeline.Imaging.Jpeg;

namespace Pipeline.Tests.Imaging.Jpeg;

/// <summary>
/// The SIMD kernels against their naive references (bit for bit, every remainder), and the small pieces of the
/// entropy decoder against the spec's definitions.
/// </summary>
public sealed unsafe class JpegKernelTests
{
    private static short[] RandomBlock(Random random, int nonZero, int magnitude)
    {
        var block = new short[64];
        for (int i = 0; i < nonZero; i++) block[random.Next(64)] = (short)random.Next(-magnitude, magnitude + 1);
        return block;
    }

    private static int[] RandomQuant(Random random, int max)
    {
        var quant = new int[64];
        for (int i = 0; i < 64; i++) quant[i] = random.Next(1, max + 1);
        return quant;
    }

    [Fact]
    public void Vector256IdctsMatchTheScalarTransformsExactly()
    {
        if (!JpegIdct.IsVector256Supported) Assert.Skip("AVX2 is not available on this machine.");
        var random = new Random(1);
        var expected = new byte[8 * 13];
        var actual = new byte[8 * 13];
        for (int trial = 0; trial < 20000; trial++)
        {
            // Mostly realistic blocks, some dense, some with 16-bit quantizers and coefficients (overflow territory).
            short[] block = trial % 10 == 9
                ? RandomBlock(random, 64, short.MaxValue)
                : RandomBlock(random, random.Next(1, 64), trial % 3 == 0 ? 2047 : 300);
            int[] quant = RandomQuant(random, trial % 10 == 9 ? 65535 : 255);
            fixed (short* c = block)
            fixed (int* q = quant)
            fixed (byte* e = expected)
            fixed (byte* a = actual)
            {
                JpegIdct.Transform8x8Scalar(c, q, e, 13);
                JpegIdct.Transform8x8Vector256(c, q, a, 13);
                Assert.Equal(expected, actual);
                JpegIdct.Transform4x4(c, q, e, 13);
                JpegIdct.Transform4x4Vector256(c, q, a, 13);
                Assert.Equal(expected, actual);
                JpegIdct.Transform2x2(c, q, e, 13);
                JpegIdct.Transform2x2Vector256(c, q, a, 13);
            }
            Assert.Equal(expected, actual);
        }
    }

    [Fact]
    public void DcOnlyShortcutEqualsEveryFullTransform()
    {
        // Dequantized DC values up to 4x what 8-bit samples can produce (±1024).
        var random = new Random(2);
        int[] quant = RandomQuant(random, 255);
        quant[0] = 3;
        for (int dc = -1365; dc <= 1365; dc++)
        {
            var block = new short[64];
            block[0] = (short)dc;
            var full = new byte[64];
            var shortcut = new byte[64];
            fixed (short* c = block)
            fixed (int* q = quant)
            fixed (byte* f = full)
            fixed (byte* s = shortcut)
            {
                foreach (int size in (int[])[8, 4, 2, 1])
                {
                    if (size == 8) JpegIdct.Transform8x8Scalar(c, q, f, 8);
                    else JpegIdct.Transform(c, q, f, 8, size);
                    JpegIdct.DcOnly(c, q, s, 8, size);
                    for (int y = 0; y < size; y++)
                        Assert.Equal(full.AsSpan(y * 8, size).ToArray(), shortcut.AsSpan(y * 8, size).ToArray());
                }
            }
        }
    }

    [Fact]
    public void ReducedTransformsAverageLikeTheFullOne()
    {
        // The reduced transforms are low-pass versions of the full one: on smooth blocks each output sample is
        // close to the mean of the full transform's pixels it stands for.
        var random = new Random(3);
        int[] quant = Enumerable.Repeat(1, 64).ToArray();
        for (int trial = 0; trial < 500; trial++)
        {
            var block = new short[64];
            block[0] = (short)random.Next(-800, 800);
            block[1] = (short)random.Next(-60, 60);
            block[8] = (short)random.Next(-60, 60);
            var full = new byte[64];
            fixed (short* c = block)
            fixed (int* q = quant)
            fixed (byte* f = full)
            {
                JpegIdct.Transform8x8Scalar(c, q, f, 8);
                foreach (int size in (int[])[4, 2, 1])
                {
                    var reduced = new byte[64];
                    fixed (byte* r = reduced) JpegIdct.Transform(c, q, r, 8, size);
                    int cell = 8 / size;
                    for (int y = 0; y < size; y++)
                    {
                        for (int x = 0; x < size; x++)
                        {
                            double mean = 0;
                            for (int yy = 0; yy < cell; yy++)
                                for (int xx = 0; xx < cell; xx++) mean += full[(y * cell + yy) * 8 + x * cell + xx];
                            mean /= cell * cell;
                            Assert.InRange(reduced[y * 8 + x], mean - 3, mean + 3);
                        }
                    }
                }
            }
        }
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private static void RequireVector256()
    {
        if (!JpegIdct.IsVector256Supported) Assert.Skip("AVX2 is not available on this machine.");
    }

    [Fact]
    public void ColorConversionMatchesScalarAtEveryLength()
    {
        RequireVector256();
        var random = new Random(4);
        for (int count = 0; count <= 100; count++)
        {
            byte[] y = RandomBytes(random, count + 32), cb = RandomBytes(random, count + 32), cr = RandomBytes(random, count + 32);
            var expected = new byte[count * 3 + 48];
            var actual = new byte[count * 3 + 48];
            fixed (byte* py = y, pcb = cb, pcr = cr, e = expected, a = actual)
            {
                // The vector loop, then the scalar tail, exactly as the dispatching functions run them.
                JpegColorConverter.YCbCrToRgbScalar(py, pcb, pcr, e, count);
                int done = JpegColorConverter.YCbCrToRgbVector256(py, pcb, pcr, a, count);
                JpegColorConverter.YCbCrToRgbScalar(py + done, pcb + done, pcr + done, a + 3 * done, count - done);
                Assert.Equal(expected, actual);

                JpegColorConverter.GrayToRgbScalar(py, e, count);
                done = JpegColorConverter.GrayToRgbVector256(py, a, count);
                JpegColorConverter.GrayToRgbScalar(py + done, a + 3 * done, count - done);
                Assert.Equal(expected, actual);

                JpegColorConverter.PlanarToRgbScalar(py, pcb, pcr, e, count);
                done = JpegColorConverter.PlanarToRgbVector256(py, pcb, pcr, a, count);
                JpegColorConverter.PlanarToRgbScalar(py + done, pcb + done, pcr + done, a + 3 * done, count - done);
                Assert.Equal(expected, actual);
            }
            // Nothing is written past the row.
            Assert.All(actual.AsSpan(count * 3).ToArray(), b => Assert.Equal(0, b));
        }
    }

    [Fact]
    public void YCbCrConversionIsTheRoundedJfifFormula()
    {
        // Every (Cb, Cr) pair at a few luma levels against the JFIF equations in double precision: libjpeg's
        // fixed point never moves a sample by more than one.
        var y = new byte[256];
        var cb = new byte[256];
        var cr = new byte[256];
        var rgb = new byte[256 * 3];
        foreach (byte luma in (byte[])[0, 16, 77, 128, 200, 255])
        {
            for (int b = 0; b < 256; b++)
            {
                for (int i = 0; i < 256; i++)
                {
                    y[i] = luma;
                    cb[i] = (byte)b;
                    cr[i] = (byte)i;
                }
                fixed (byte* py = y, pcb = cb, pcr = cr, o = rgb) JpegColorConverter.YCbCrToRgb(py, pcb, pcr, o, 256);
                for (int r = 0; r < 256; r++)
                {
                    double red = luma + 1.402 * (r - 128), green = luma - 0.344136 * (b - 128) - 0.714136 * (r - 128), blue = luma + 1.772 * (b - 128);
                    Assert.InRange(rgb[3 * r], Math.Clamp(red, 0, 255) - 1, Math.Clamp(red, 0, 255) + 1);
                    Assert.InRange(rgb[3 * r + 1], Math.Clamp(green, 0, 255) - 1, Math.Clamp(green, 0, 255) + 1);
                    Assert.InRange(rgb[3 * r + 2], Math.Clamp(blue, 0, 255) - 1, Math.Clamp(blue, 0, 255) + 1);
                }
            }
        }
    }

    [Fact]
    public void CmykToRgbRoundsTheProductOverTheFullRange()
    {
        for (int ink = 0; ink < 256; ink++)
        {
            for (int black = 0; black < 256; black++)
                Assert.Equal((int)(ink * (double)black / 255.0 + 0.5), JpegColorConverter.InkTimesBlack(ink, black));
        }
    }

    [Fact]
    public void UpsamplersMatchScalarAtEveryWidth()
    {
        RequireVector256();
        var random = new Random(5);
        for (int width = 1; width <= 100; width++)
        {
            byte[] near = RandomBytes(random, width + 32), far = RandomBytes(random, width + 32);
            var expected = new byte[2 * width + 64];
            var actual = new byte[2 * width + 64];
            fixed (byte* n = near, f = far, e = expected, a = actual)
            {
                if (width >= 2)
                {
                    JpegUpsampler.FancyH2V1Scalar(n, width, e, 0, width);
                    JpegUpsampler.FancyH2V1Scalar(n, width, a, 0, 1);
                    int done = JpegUpsampler.FancyH2V1Vector256(n, width, a);
                    JpegUpsampler.FancyH2V1Scalar(n, width, a, done, width);
                    Assert.Equal(expected, actual);

                    JpegUpsampler.FancyH2V2Scalar(n, f, width, e, 0, width);
                    JpegUpsampler.FancyH2V2Scalar(n, f, width, a, 0, 1);
                    done = JpegUpsampler.FancyH2V2Vector256(n, f, width, a);
                    JpegUpsampler.FancyH2V2Scalar(n, f, width, a, done, width);
                    Assert.Equal(expected, actual);
                }
                foreach (bool upper in (bool[])[true, false])
                {
                    JpegUpsampler.FancyH1V2Scalar(n, f, width, upper, e);
                    int done = JpegUpsampler.FancyH1V2Vector256(n, f, width, upper, a);
                    JpegUpsampler.FancyH1V2Scalar(n, f, width, upper, a, done);
                    Assert.Equal(expected, actual);
                }
            }
            Assert.All(actual.AsSpan(2 * width).ToArray(), b => Assert.Equal(0, b));
        }
    }

    [Fact]
    public void FancyUpsamplingKeepsFlatAreasFlatAndInterpolatesRamps()
    {
        byte[] flat = Enumerable.Repeat((byte)77, 40).ToArray();
        byte[] ramp = Enumerable.Range(0, 40).Select(i => (byte)(i * 4)).ToArray();
        var output = new byte[80];
        fixed (byte* f = flat, r = ramp, o = output)
        {
            JpegUpsampler.FancyH2V1(f, 40, o);
            Assert.All(output, b => Assert.Equal(77, b));
            JpegUpsampler.FancyH2V2(f, f, 40, o);
            Assert.All(output, b => Assert.Equal(77, b));
            JpegUpsampler.FancyH2V1(r, 40, o);
            // Interior outputs sit a quarter of the way towards the neighbour: 4i ∓ 1.
            for (int i = 1; i < 39; i++)
            {
                Assert.Equal(4 * i - 1, output[2 * i]);
                Assert.Equal(4 * i + 1, output[2 * i + 1]);
            }
        }
    }

    [Fact]
    public void ExtendMatchesTheSpecDefinition()
    {
        for (int size = 1; size <= 15; size++)
        {
            for (int bits = 0; bits < 1 << size; bits++)
            {
                int expected = bits < 1 << (size - 1) ? bits - (1 << size) + 1 : bits;
                Assert.Equal(expected, HuffmanScanDecoder.Extend(bits, size));
                Assert.Equal(expected, HuffmanTable.Extend(bits, size));
            }
        }
    }

    [Fact]
    public void HuffmanTablesRejectImpossibleCodes()
    {
        Assert.NotNull(HuffmanTable.TryBuild(JpegConstants.StandardAcLuminanceCounts, JpegConstants.StandardAcLuminanceValues, false, out string? error));
        Assert.Null(error);

        byte[] counts = new byte[16];
        counts[0] = 2; // codes 0 and 1 of length 1: the second is all ones
        Assert.Null(HuffmanTable.TryBuild(counts, [1, 2], false, out error));
        Assert.Contains("length 1", error);

        counts[0] = 1;
        Assert.NotNull(HuffmanTable.TryBuild(counts, [16], false, out _));
        Assert.Null(HuffmanTable.TryBuild(counts, [16], true, out error)); // DC categories stop at 15
        Assert.Contains("DC", error);
    }

    [Fact]
    public void HuffmanLookupAndLongCodesDecodeEverySymbol()
    {
        // The standard AC table has codes of every length from 2 to 16: walk each code through the decoder's paths.
        HuffmanTable table = HuffmanTable.TryBuild(JpegConstants.StandardAcLuminanceCounts, JpegConstants.StandardAcLuminanceValues, false, out _)!;
        ReadOnlySpan<byte> counts = JpegConstants.StandardAcLuminanceCounts;
        int code = 0, index = 0;
        for (int length = 1; length <= 16; length++)
        {
            for (int i = 0; i < counts[length - 1]; i++, index++, code++)
            {
                ulong bits = (ulong)code << (64 - length) | (0x5AUL << (56 - length)); // the code, then other bits
                int symbol, consumed;
                int entry = table.Lookup[(int)(bits >> (64 - HuffmanTable.LookaheadBits))];
                if (entry != 0)
                {
                    (consumed, symbol) = (entry >> 8, entry & 0xFF);
                }
                else
                {
                    int found = HuffmanScanDecoder.DecodeLong(table, bits);
                    (consumed, symbol) = (found >> 8, found & 0xFF);
                }
                Assert.Equal(length, consumed);
                Assert.Equal(JpegConstants.StandardAcLuminanceValues[index], symbol);
            }
            code <<= 1;
        }
        Assert.Equal(-1, HuffmanScanDecoder.DecodeLong(table, ulong.MaxValue)); // sixteen ones: no such code
    }

    [Fact]
    public void BitReaderUnstuffsAndStopsAtMarkers()
    {
        // 0xFF 0x00 is a data byte 0xFF; 0xFF 0xFF 0xD9 is a fill byte and a marker, which ends the data.
        byte[] data = [0x12, 0xFF, 0x00, 0x34, 0xFF, 0xFF, 0xD9];
        var buffer = new byte[JpegBitReader.BufferSize];
        fixed (byte* p = data, b = buffer)
        {
            var reader = new JpegBitReader(p, data.Length, 0, b);
            Assert.True(reader.SourceEnded);
            Assert.Equal(5, reader.MarkerPosition); // the last 0xFF before the marker code
            reader.Refill();
            Assert.Equal(0x12FF34UL << 40, reader.Bits);
            reader.Bits <<= 24;
            reader.Count -= 24;
            Assert.False(reader.Overrun);
            reader.Count -= 1; // one bit more than the data held
            Assert.True(reader.Overrun);
            Assert.True(reader.EndedAtEndOfFile); // EOI counts as the end
            Assert.Equal(0xD9, reader.FindMarker());
        }

        // Long runs: every byte arrives in order through many refills, and the reader restarts cleanly.
        byte[] plain = Enumerable.Range(1, 100).Select(i => (byte)i).ToArray();
        fixed (byte* p = plain, b = buffer)
        {
            var reader = new JpegBitReader(p, plain.Length, 0, b);
            for (int pass = 0; pass < 2; pass++)
            {
                var read = new List<byte>();
                while (read.Count < 100 - 10 * pass)
                {
                    if (reader.Count < 32) reader.Refill();
                    read.Add((byte)(reader.Bits >> 56));
                    reader.Bits <<= 8;
                    reader.Count -= 8;
                }
                Assert.Equal(plain[(10 * pass)..], read);
                Assert.False(reader.Overrun);
                reader.Restart(10);
            }
            Assert.Equal(-1, reader.FindMarker()); // no marker: the end of the data
        }
    }
}
