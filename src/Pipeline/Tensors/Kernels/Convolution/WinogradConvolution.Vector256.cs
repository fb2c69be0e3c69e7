using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Pipeline.Tensors.Parallelism;

namespace Pipeline.Tensors.Kernels.Convolution;

/// <summary>The AVX2 transforms of <see cref="WinogradConvolution"/>: 8 tiles (input) or 8 channels (output) per vector.</summary>
internal sealed unsafe partial class WinogradConvolution
{
    private const int Lanes256 = 8;

    /// <summary>
    /// Input tiles, one (channel, tile row) at a time, as <see cref="InputBody512"/>. AVX2 has no two-source permute,
    /// so the taps of 8 tiles come from a 4×4 transpose per 128-bit half (one tile's four taps per half) and one lane
    /// permute back into tile order.
    /// </summary>
    private readonly struct InputBody256(WinogradConvolution owner, float* input, float* packedInput, float* slots, WorkShares shares) : IParallelBody
    {
        public void Invoke(int slot)
        {
            WinogradConvolution o = owner;
            ConvGeometry g = o.Geometry;
            int width = g.InputSize[1], height = g.InputSize[0], padTop = g.PadsBegin[0], padLeft = g.PadsBegin[1];
            int channels = g.InChannels, tilesWide = o._tilesWide, tilesHigh = o._tilesHigh, mr = o.Kernel.MR;
            long rowFloats = o._rowFloats, panelFloats = (long)mr * channels, pointFloats = o._packedInputFloats;
            float* rows = slots + slot * o._slotFloats;
            new Span<float>(rows, (int)(Alpha * rowFloats)).Clear(); // the padding columns stay zero
            Vector256<float>* taps = stackalloc Vector256<float>[Alpha];
            for (int claim = 0; shares.Next(slot, ref claim, out int item);)
            {
                int c = item / tilesHigh, ty = item % tilesHigh;
                float* plane = input + (long)c * g.InputPlane;
                int y0 = ty * M - padTop;
                for (int x0 = 0; x0 < width; x0 += Lanes256)
                {
                    Vector256<float> inside = InRow(x0, width);
                    for (int i = 0; i < Alpha; i++)
                    {
                        int yy = y0 + i;
                        taps[i] = (uint)yy < (uint)height ? Avx.MaskLoad(plane + (long)yy * width + x0, inside) : Vector256<float>.Zero;
                    }
                    InputTransform(taps[0], taps[1], taps[2], taps[3], taps[4], taps[5],
                        out Vector256<float> v0, out Vector256<float> v1, out Vector256<float> v2, out Vector256<float> v3, out Vector256<float> v4, out Vector256<float> v5);
                    float* target = rows + padLeft + x0;
                    Avx.MaskStore(target, inside, v0);
                    Avx.MaskStore(target + rowFloats, inside, v1);
                    Avx.MaskStore(target + 2 * rowFloats, inside, v2);
                    Avx.MaskStore(target + 3 * rowFloats, inside, v3);
                    Avx.MaskStore(target + 4 * rowFloats, inside, v4);
                    Avx.MaskStore(target + 5 * rowFloats, inside, v5);
                }

                for (int tx0 = 0; tx0 < tilesWide; tx0 += Lanes256)
                {
                    int count = Math.Min(Lanes256, tilesWide - tx0), firstTile = ty * tilesWide + tx0;
                    for (int xi = 0; xi < Alpha; xi++)
                    {
                        float* row = rows + xi * rowFloats + tx0 * M;
                        // Tap r of tile tx is row[4·tx + r]; taps 4 and 5 are taps 0 and 1 of the next tile (4 floats on).
                        Phases(row, out Vector256<float> p0, out Vector256<float> p1, out Vector256<float> p2, out Vector256<float> p3);
                        Phases(row + M, out Vector256<float> p4, out Vector256<float> p5, out _, out _);
                        InputTransform(p0, p1, p2, p3, p4, p5,
                            out Vector256<float> v0, out Vector256<float> v1, out Vector256<float> v2, out Vector256<float> v3, out Vector256<float> v4, out Vector256<float> v5);
                        float* point = packedInput + xi * Alpha * pointFloats;
                        StoreColumn(point, panelFloats, mr, firstTile, count, c, v0);
                        StoreColumn(point + pointFloats, panelFloats, mr, firstTile, count, c, v1);
                        StoreColumn(point + 2 * pointFloats, panelFloats, mr, firstTile, count, c, v2);
                        StoreColumn(point + 3 * pointFloats, panelFloats, mr, firstTile, count, c, v3);
                        StoreColumn(point + 4 * pointFloats, panelFloats, mr, firstTile, count, c, v4);
                        StoreColumn(point + 5 * pointFloats, panelFloats, mr, firstTile, count, c, v5);
                    }
                }
            }
        }

        /// <summary>Lane l of pr = row[4·l + r] for 8 tiles: half h of each load holds one tile's four taps.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Phases(float* row, out Vector256<float> p0, out Vector256<float> p1, out Vector256<float> p2, out Vector256<float> p3)
        {
            Vector256<float> w0 = Vector256.Load(row), w1 = Vector256.Load(row + 8), w2 = Vector256.Load(row + 16), w3 = Vector256.Load(row + 24);
            Vector256<double> low01 = Avx.UnpackLow(w0, w1).AsDouble(), high01 = Avx.UnpackHigh(w0, w1).AsDouble();
            Vector256<double> low23 = Avx.UnpackLow(w2, w3).AsDouble(), high23 = Avx.UnpackHigh(w2, w3).AsDouble();
            // Half h now holds tiles h, 2 + h, 4 + h, 6 + h; the permute puts tile l in lane l.
            Vector256<int> order = Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7);
            p0 = Avx2.PermuteVar8x32(Avx.UnpackLow(low01, low23).AsSingle(), order);
            p1 = Avx2.PermuteVar8x32(Avx.UnpackHigh(low01, low23).AsSingle(), order);
            p2 = Avx2.PermuteVar8x32(Avx.UnpackLow(high01, high23).AsSingle(), order);
            p3 = Avx2.PermuteVar8x32(Avx.UnpackHigh(high01, high23).AsSingle(), order);
        }

        /// <summary>Writes tiles [first, first + count) of column <paramref name="c"/> into MR-row panels, splitting at panel ends.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void StoreColumn(float* packed, long panelFloats, int mr, int first, int count, int c, Vector256<float> values)
        {
            int done = 0;
            while (done < count)
            {
                int tile = first + done, inPanel = tile % mr;
                int run = Math.Min(count - done, mr - inPanel);
                float* target = packed + tile / mr * panelFloats + (long)c * mr + inPanel;
                Vector256<float> shifted = done == 0 ? values : Avx2.PermuteVar8x32(values, Vector256<int>.Indices + Vector256.Create(done));
                Avx.MaskStore(target, InRow(0, run), shifted);
                done += run;
            }
        }
    }

    /// <summary>Output tiles, one (tile row, 8 output channels) at a time, as <see cref="OutputBody512"/>.</summary>
    private readonly struct OutputBody256(WinogradConvolution owner, float* products, float* bias, float* y, bool accumulate, bool clamp, float lo, float hi,
        WorkShares shares) : IParallelBody
    {
        public static int Groups(int channels) => (channels + Lanes256 - 1) / Lanes256;

        public void Invoke(int slot)
        {
            WinogradConvolution o = owner;
            ConvGeometry g = o.Geometry;
            int outChannels = g.OutChannels, outHeight = g.OutputSize[0], outWidth = g.OutputSize[1], plane = g.OutputPlane;
            int tilesWide = o._tilesWide, groups = Groups(outChannels);
            long pointStride = (long)o._tiles * outChannels;
            Vector256<float>* sums = stackalloc Vector256<float>[M * Alpha];
            Vector256<float>* quads = stackalloc Vector256<float>[4];
            Vector256<float> low = Vector256.Create(lo), high = Vector256.Create(hi);
            Vector128<float> low4 = Vector128.Create(lo), high4 = Vector128.Create(hi);
            for (int claim = 0; shares.Next(slot, ref claim, out int item);)
            {
                int ty = item / groups, c0 = item % groups * Lanes256;
                int count = Math.Min(Lanes256, outChannels - c0);
                Vector256<float> b = bias == null ? Vector256<float>.Zero : Avx.MaskLoad(bias + c0, InRow(0, count));
                int rowsValid = Math.Min(M, outHeight - ty * M);
                for (int tx = 0; tx < tilesWide; tx++)
                {
                    float* p = products + (long)(ty * tilesWide + tx) * outChannels + c0;
                    for (int nu = 0; nu < Alpha; nu++)
                    {
                        float* column = p + nu * pointStride;
                        OutputTransform(Vector256.Load(column), Vector256.Load(column + 6 * pointStride), Vector256.Load(column + 12 * pointStride),
                            Vector256.Load(column + 18 * pointStride), Vector256.Load(column + 24 * pointStride), Vector256.Load(column + 30 * pointStride),
                            out sums[nu], out sums[Alpha + nu], out sums[2 * Alpha + nu], out sums[3 * Alpha + nu]);
                    }
                    int columnsValid = Math.Min(M, outWidth - tx * M);
                    float* corner = y + (long)c0 * plane + (long)ty * M * outWidth + tx * M;
                    for (int i = 0; i < rowsValid; i++)
                    {
                        Vector256<float>* s = sums + i * Alpha;
                        OutputTransform(s[0], s[1], s[2], s[3], s[4], s[5], out Vector256<float> o0, out Vector256<float> o1, out Vector256<float> o2, out Vector256<float> o3);
                        o0 += b;
                        o1 += b;
                        o2 += b;
                        o3 += b;
                        if (clamp && !accumulate)
                        {
                            o0 = Avx.Min(Avx.Max(o0, low), high);
                            o1 = Avx.Min(Avx.Max(o1, low), high);
                            o2 = Avx.Min(Avx.Max(o2, low), high);
                            o3 = Avx.Min(Avx.Max(o3, low), high);
                        }
                        // Lanes are channels: a 4×4 transpose per 128-bit half leaves channel 4k + q's row in half k of quads[q].
                        Vector256<double> t0 = Avx.UnpackLow(o0, o1).AsDouble(), t1 = Avx.UnpackHigh(o0, o1).AsDouble();
                        Vector256<double> t2 = Avx.UnpackLow(o2, o3).AsDouble(), t3 = Avx.UnpackHigh(o2, o3).AsDouble();
                        quads[0] = Avx.UnpackLow(t0, t2).AsSingle();
                        quads[1] = Avx.UnpackHigh(t0, t2).AsSingle();
                        quads[2] = Avx.UnpackLow(t1, t3).AsSingle();
                        quads[3] = Avx.UnpackHigh(t1, t3).AsSingle();
                        float* rowStart = corner + i * outWidth;
                        for (int l = 0; l < count; l++)
                            StoreTileRow(rowStart + (long)l * plane, (l >> 2) == 0 ? quads[l & 3].GetLower() : quads[l & 3].GetUpper(), columnsValid, accumulate, clamp, low4, high4);
                    }
                }
            }
        }
    }

    /// <summary>All-ones in lane l when <paramref name="first"/> + l lies in [0, <paramref name="length"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> InRow(int first, int length)
        => Vector256.LessThan((Vector256<int>.Indices + Vector256.Create(first)).AsUInt32(), Vector256.Create((uint)length)).AsSingle();

    /// <summary>Bᵀd for six taps, as the AVX-512 overload.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InputTransform(Vector256<float> d0, Vector256<float> d1, Vector256<float> d2, Vector256<float> d3, Vector256<float> d4, Vector256<float> d5,
        out Vector256<float> v0, out Vector256<float> v1, out Vector256<float> v2, out Vector256<float> v3, out Vector256<float> v4, out Vector256<float> v5)
    {
        Vector256<float> four = Vector256.Create(4f), minusFour = Vector256.Create(-4f), minusFive = Vector256.Create(-5f);
        Vector256<float> a = Vector256.FusedMultiplyAdd(minusFour, d2, d4);
        Vector256<float> b = Vector256.FusedMultiplyAdd(minusFour, d1, d3);
        Vector256<float> c = d4 - d2;
        Vector256<float> e = (d3 - d1) * Vector256.Create(2f);
        v0 = Vector256.FusedMultiplyAdd(four, d0, Vector256.FusedMultiplyAdd(minusFive, d2, d4));
        v1 = a + b;
        v2 = a - b;
        v3 = c + e;
        v4 = c - e;
        v5 = Vector256.FusedMultiplyAdd(four, d1, Vector256.FusedMultiplyAdd(minusFive, d3, d5));
    }

    /// <summary>Aᵀm for six products, as the AVX-512 overload.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OutputTransform(Vector256<float> m0, Vector256<float> m1, Vector256<float> m2, Vector256<float> m3, Vector256<float> m4, Vector256<float> m5,
        out Vector256<float> o0, out Vector256<float> o1, out Vector256<float> o2, out Vector256<float> o3)
    {
        Vector256<float> sum12 = m1 + m2, difference12 = m1 - m2, sum34 = m3 + m4, difference34 = m3 - m4;
        o0 = m0 + sum12 + sum34;
        o1 = Vector256.FusedMultiplyAdd(Vector256.Create(2f), difference34, difference12);
        o2 = Vector256.FusedMultiplyAdd(Vector256.Create(4f), sum34, sum12);
        o3 = Vector256.FusedMultiplyAdd(Vector256.Create(8f), difference34, difference12) + m5;
    }
}
