using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Pipeline.Tensors.Parallelism;

namespace Pipeline.Tensors.Kernels.Convolution;

/// <summary>The AVX-512 transforms of <see cref="WinogradConvolution"/>: 16 tiles (input) or 16 channels (output) per vector.</summary>
internal sealed unsafe partial class WinogradConvolution
{
    private const int Lanes512 = 16;

    /// <summary>
    /// Input tiles, one (channel, tile row) at a time: the vertical transform runs along the six input rows in vectors;
    /// then, 16 tiles per vector, each transformed row is split into the tiles' six taps by permutes and transformed
    /// horizontally, straight into the packed A panels of the 36 GEMMs (row = tile, column = channel).
    /// </summary>
    private readonly struct InputBody512(WinogradConvolution owner, float* input, float* packedInput, float* slots, WorkShares shares) : IParallelBody
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
            Vector512<float>* taps = stackalloc Vector512<float>[Alpha];
            for (int claim = 0; shares.Next(slot, ref claim, out int item);)
            {
                int c = item / tilesHigh, ty = item % tilesHigh;
                float* plane = input + (long)c * g.InputPlane;
                int y0 = ty * M - padTop;
                for (int x0 = 0; x0 < width; x0 += Lanes512)
                {
                    Vector512<float> inside = LaneMasks.InRow(x0, width);
                    for (int i = 0; i < Alpha; i++)
                    {
                        int yy = y0 + i;
                        taps[i] = (uint)yy < (uint)height ? Avx512F.MaskLoad(plane + (long)yy * width + x0, inside, Vector512<float>.Zero) : Vector512<float>.Zero;
                    }
                    InputTransform(taps[0], taps[1], taps[2], taps[3], taps[4], taps[5],
                        out Vector512<float> v0, out Vector512<float> v1, out Vector512<float> v2, out Vector512<float> v3, out Vector512<float> v4, out Vector512<float> v5);
                    float* target = rows + padLeft + x0;
                    Avx512F.MaskStore(target, inside, v0);
                    Avx512F.MaskStore(target + rowFloats, inside, v1);
                    Avx512F.MaskStore(target + 2 * rowFloats, inside, v2);
                    Avx512F.MaskStore(target + 3 * rowFloats, inside, v3);
                    Avx512F.MaskStore(target + 4 * rowFloats, inside, v4);
                    Avx512F.MaskStore(target + 5 * rowFloats, inside, v5);
                }

                for (int tx0 = 0; tx0 < tilesWide; tx0 += Lanes512)
                {
                    int count = Math.Min(Lanes512, tilesWide - tx0), firstTile = ty * tilesWide + tx0;
                    for (int xi = 0; xi < Alpha; xi++)
                    {
                        float* row = rows + xi * rowFloats + tx0 * M;
                        Vector512<float> w0 = Vector512.Load(row), w1 = Vector512.Load(row + 16), w2 = Vector512.Load(row + 32), w3 = Vector512.Load(row + 48);
                        Vector512<float> n0 = Vector512.Load(row + 4), n1 = Vector512.Load(row + 20), n2 = Vector512.Load(row + 36), n3 = Vector512.Load(row + 52);
                        // Tap r of tile tx is row[4·tx + r]; taps 4 and 5 are taps 0 and 1 of the next tile (the n window, 4 floats on).
                        InputTransform(Phase(w0, w1, w2, w3, 0), Phase(w0, w1, w2, w3, 1), Phase(w0, w1, w2, w3, 2), Phase(w0, w1, w2, w3, 3),
                            Phase(n0, n1, n2, n3, 0), Phase(n0, n1, n2, n3, 1),
                            out Vector512<float> v0, out Vector512<float> v1, out Vector512<float> v2, out Vector512<float> v3, out Vector512<float> v4, out Vector512<float> v5);
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

        /// <summary>Lane l = element 4·l + r of the 64 floats w0..w3: two two-source permutes and a blend.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<float> Phase(Vector512<float> w0, Vector512<float> w1, Vector512<float> w2, Vector512<float> w3, int r)
        {
            // Index 4·(l mod 8) + r serves both halves: lanes 0–7 read w0|w1, lanes 8–15 read w2|w3.
            Vector512<int> index = ((Vector512<int>.Indices & Vector512.Create(7)) << 2) + Vector512.Create(r);
            Vector512<float> low = Avx512F.PermuteVar16x32x2(w0, index, w1);
            Vector512<float> high = Avx512F.PermuteVar16x32x2(w2, index, w3);
            return Vector512.ConditionalSelect(FirstHalf, low, high);
        }

        private static Vector512<float> FirstHalf => Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(8)).AsSingle();

        /// <summary>Writes tiles [first, first + count) of column <paramref name="c"/> into MR-row panels, splitting at panel ends.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void StoreColumn(float* packed, long panelFloats, int mr, int first, int count, int c, Vector512<float> values)
        {
            int done = 0;
            while (done < count)
            {
                int tile = first + done, inPanel = tile % mr;
                int run = Math.Min(count - done, mr - inPanel);
                float* target = packed + tile / mr * panelFloats + (long)c * mr + inPanel;
                Vector512<float> shifted = done == 0 ? values : Avx512F.PermuteVar16x32(values, Vector512<int>.Indices + Vector512.Create(done));
                Avx512F.MaskStore(target, LaneMasks.InRow(0, run), shifted);
                done += run;
            }
        }
    }

    /// <summary>
    /// Output tiles, one (tile row, 16 output channels) at a time: Y = Aᵀ P A + bias for each tile, clamped (after the
    /// residual sum when accumulating), transposed four rows at a time so each channel's tile row is one 4-float store.
    /// </summary>
    private readonly struct OutputBody512(WinogradConvolution owner, float* products, float* bias, float* y, bool accumulate, bool clamp, float lo, float hi,
        WorkShares shares) : IParallelBody
    {
        public static int Groups(int channels) => (channels + Lanes512 - 1) / Lanes512;

        public void Invoke(int slot)
        {
            WinogradConvolution o = owner;
            ConvGeometry g = o.Geometry;
            int outChannels = g.OutChannels, outHeight = g.OutputSize[0], outWidth = g.OutputSize[1], plane = g.OutputPlane;
            int tilesWide = o._tilesWide;
            long pointStride = (long)o._tiles * outChannels;
            Vector512<float>* sums = stackalloc Vector512<float>[M * Alpha];
            Vector512<float>* quads = stackalloc Vector512<float>[4];
            Vector512<float> low = Vector512.Create(lo), high = Vector512.Create(hi);
            Vector128<float> low4 = Vector128.Create(lo), high4 = Vector128.Create(hi);
            int groups = Groups(outChannels);
            for (int claim = 0; shares.Next(slot, ref claim, out int item);)
            {
                int ty = item / groups, c0 = item % groups * Lanes512;
                int count = Math.Min(Lanes512, outChannels - c0);
                Vector512<float> b = bias == null ? Vector512<float>.Zero : Avx512F.MaskLoad(bias + c0, LaneMasks.InRow(0, count), Vector512<float>.Zero);
                int rowsValid = Math.Min(M, outHeight - ty * M);
                for (int tx = 0; tx < tilesWide; tx++)
                {
                    float* p = products + (long)(ty * tilesWide + tx) * outChannels + c0;
                    for (int nu = 0; nu < Alpha; nu++)
                    {
                        float* column = p + nu * pointStride;
                        OutputTransform(Vector512.Load(column), Vector512.Load(column + 6 * pointStride), Vector512.Load(column + 12 * pointStride),
                            Vector512.Load(column + 18 * pointStride), Vector512.Load(column + 24 * pointStride), Vector512.Load(column + 30 * pointStride),
                            out sums[nu], out sums[Alpha + nu], out sums[2 * Alpha + nu], out sums[3 * Alpha + nu]);
                    }
                    int columnsValid = Math.Min(M, outWidth - tx * M);
                    float* corner = y + (long)c0 * plane + (long)ty * M * outWidth + tx * M;
                    for (int i = 0; i < rowsValid; i++)
                    {
                        Vector512<float>* s = sums + i * Alpha;
                        OutputTransform(s[0], s[1], s[2], s[3], s[4], s[5], out Vector512<float> o0, out Vector512<float> o1, out Vector512<float> o2, out Vector512<float> o3);
                        o0 += b;
                        o1 += b;
                        o2 += b;
                        o3 += b;
                        if (clamp && !accumulate)
                        {
                            o0 = Avx512F.Min(Avx512F.Max(o0, low), high);
                            o1 = Avx512F.Min(Avx512F.Max(o1, low), high);
                            o2 = Avx512F.Min(Avx512F.Max(o2, low), high);
                            o3 = Avx512F.Min(Avx512F.Max(o3, low), high);
                        }
                        // Lanes are channels: a 4×4 transpose per 128-bit block leaves channel 4k + q's row in block k of quads[q].
                        Vector512<double> t0 = Avx512F.UnpackLow(o0, o1).AsDouble(), t1 = Avx512F.UnpackHigh(o0, o1).AsDouble();
                        Vector512<double> t2 = Avx512F.UnpackLow(o2, o3).AsDouble(), t3 = Avx512F.UnpackHigh(o2, o3).AsDouble();
                        quads[0] = Avx512F.UnpackLow(t0, t2).AsSingle();
                        quads[1] = Avx512F.UnpackHigh(t0, t2).AsSingle();
                        quads[2] = Avx512F.UnpackLow(t1, t3).AsSingle();
                        quads[3] = Avx512F.UnpackHigh(t1, t3).AsSingle();
                        float* rowStart = corner + i * outWidth;
                        for (int l = 0; l < count; l++)
                            StoreTileRow(rowStart + (long)l * plane, Block(quads[l & 3], l >> 2), columnsValid, accumulate, clamp, low4, high4);
                    }
                }
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector128<float> Block(Vector512<float> v, int k) => k switch
        {
            0 => v.GetLower().GetLower(),
            1 => v.GetLower().GetUpper(),
            2 => v.GetUpper().GetLower(),
            _ => v.GetUpper().GetUpper(),
        };
    }

    /// <summary>Bᵀd for six taps: the rows of Bᵀ share the terms d4 − 4d2, d3 − 4d1, d4 − d2 and 2(d3 − d1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InputTransform(Vector512<float> d0, Vector512<float> d1, Vector512<float> d2, Vector512<float> d3, Vector512<float> d4, Vector512<float> d5,
        out Vector512<float> v0, out Vector512<float> v1, out Vector512<float> v2, out Vector512<float> v3, out Vector512<float> v4, out Vector512<float> v5)
    {
        Vector512<float> four = Vector512.Create(4f), minusFour = Vector512.Create(-4f), minusFive = Vector512.Create(-5f);
        Vector512<float> a = Vector512.FusedMultiplyAdd(minusFour, d2, d4);
        Vector512<float> b = Vector512.FusedMultiplyAdd(minusFour, d1, d3);
        Vector512<float> c = d4 - d2;
        Vector512<float> e = (d3 - d1) * Vector512.Create(2f);
        v0 = Vector512.FusedMultiplyAdd(four, d0, Vector512.FusedMultiplyAdd(minusFive, d2, d4));
        v1 = a + b;
        v2 = a - b;
        v3 = c + e;
        v4 = c - e;
        v5 = Vector512.FusedMultiplyAdd(four, d1, Vector512.FusedMultiplyAdd(minusFive, d3, d5));
    }

    /// <summary>Aᵀm for six products: the rows of Aᵀ share m1 ± m2 and m3 ± m4.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OutputTransform(Vector512<float> m0, Vector512<float> m1, Vector512<float> m2, Vector512<float> m3, Vector512<float> m4, Vector512<float> m5,
        out Vector512<float> o0, out Vector512<float> o1, out Vector512<float> o2, out Vector512<float> o3)
    {
        Vector512<float> sum12 = m1 + m2, difference12 = m1 - m2, sum34 = m3 + m4, difference34 = m3 - m4;
        o0 = m0 + sum12 + sum34;
        o1 = Vector512.FusedMultiplyAdd(Vector512.Create(2f), difference34, difference12);
        o2 = Vector512.FusedMultiplyAdd(Vector512.Create(4f), sum34, sum12);
        o3 = Vector512.FusedMultiplyAdd(Vector512.Create(8f), difference34, difference12) + m5;
    }
}
