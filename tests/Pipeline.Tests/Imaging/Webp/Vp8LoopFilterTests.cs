using Pipeline.Imaging.Webp;

namespace Pipeline.Tests.Imaging.Webp;

/// <summary>
/// The Vector128 loop filters agree with the scalar ones (the spec) on every pixel: simple, macroblock and subblock
/// edges, horizontal and vertical (transposed with SSE2 or through memory), 8 and 16 segments, every level and sharpness, on pixels close enough for the
/// filters to act and on pixels with steps that make them hold back or take the high-edge-variance path.
/// </summary>
public sealed unsafe class Vp8LoopFilterTests
{
    private const int Stride = 40;

    [Theory]
    [InlineData(0, true)]
    [InlineData(1, true)]
    [InlineData(2, true)]
    [InlineData(0, false)]
    [InlineData(1, false)]
    [InlineData(2, false)]
    public void VectorMatchesScalar(int kind, bool transposeInRegisters)
    {
        if (!Vp8LoopFilter.UseVectors) Assert.Skip("128-bit vectors are not hardware accelerated here: only the scalar filter runs.");
        if (transposeInRegisters && !System.Runtime.Intrinsics.X86.Sse2.IsSupported) Assert.Skip("no SSE2: vertical edges are transposed through memory.");
        var random = new Random(100 + kind);
        var scalar = new byte[Stride * Stride];
        var vector = new byte[Stride * Stride];
        for (int trial = 0; trial < 3000; trial++)
        {
            int spread = random.Next(4) switch { 0 => 2, 1 => 8, 2 => 30, _ => 256 };
            int center = random.Next(256);
            for (int i = 0; i < scalar.Length; i++)
                scalar[i] = (byte)Math.Clamp(center + random.Next(-spread, spread + 1) + (i % Stride >= 20 ? random.Next(2) * spread : 0), 0, 255);
            scalar.CopyTo(vector, 0);
            int level = random.Next(1, 64), sharpness = random.Next(8);
            int interior = level;
            if (sharpness > 0) interior = Math.Min(interior >> (sharpness > 4 ? 2 : 1), 9 - sharpness);
            interior = Math.Max(interior, 1);
            int edgeLimit = random.Next(2) == 0 ? (level + 2) * 2 + interior : level * 2 + interior;
            int hev = level >= 40 ? 2 : level >= 15 ? 1 : 0;
            bool vertical = random.Next(2) == 0; // a vertical edge: segments along a row, one per line
            int count = random.Next(2) == 0 ? 8 : 16;
            int step = vertical ? 1 : Stride, pitch = vertical ? Stride : 1;
            int at = vertical ? 4 * Stride + 20 : 20 * Stride + 4;
            fixed (byte* s = scalar, v = vector)
            {
                switch (kind)
                {
                    case 0:
                        Vp8LoopFilter.SimpleEdgeScalar(s + at, step, pitch, count, edgeLimit);
                        Vp8LoopFilter.SimpleEdgeVector128(v + at, step, pitch, count, edgeLimit, transposeInRegisters);
                        break;
                    case 1:
                        Vp8LoopFilter.MacroblockEdgeScalar(s + at, step, pitch, count, edgeLimit, interior, hev);
                        Vp8LoopFilter.NormalEdgeVector128(v + at, step, pitch, count, edgeLimit, interior, hev, macroblock: true, transposeInRegisters);
                        break;
                    default:
                        Vp8LoopFilter.SubblockEdgeScalar(s + at, step, pitch, count, edgeLimit, interior, hev);
                        Vp8LoopFilter.NormalEdgeVector128(v + at, step, pitch, count, edgeLimit, interior, hev, macroblock: false, transposeInRegisters);
                        break;
                }
            }
            for (int i = 0; i < scalar.Length; i++)
            {
                if (scalar[i] != vector[i])
                    Assert.Fail($"trial {trial} (kind {kind}, vertical {vertical}, count {count}, E {edgeLimit}, I {interior}, hev {hev}): " +
                        $"pixel ({i % Stride}, {i / Stride}) scalar {scalar[i]}, vector {vector[i]}");
            }
        }
    }
}
