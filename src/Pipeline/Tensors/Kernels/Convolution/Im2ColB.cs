using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Pipeline.Tensors.Kernels.Gemm;

namespace Pipeline.Tensors.Kernels.Convolution;

/// <summary>
/// A convolution's input seen as the GEMM's B matrix without materializing it: row k = (input channel, kernel offset),
/// column n = output position, value = the input under that kernel tap (zero in the padding). Each block is written
/// straight into NR-column panels: within a panel, consecutive output positions of one output row are consecutive
/// lanes, so a row segment is one contiguous copy (stride 1) or one strided gather.
/// Problem q = image·groups + group reads input channels from <c>x + q·(C/group)·plane</c>.
/// </summary>
internal readonly unsafe struct Im2ColB(ConvGeometry geometry, float* x) : ISgemmBSource
{
    /// <inheritdoc />
    public float* Panels(SgemmKernel kernel, int problem, int k0, int kc, int n0, int nc, float* buffer, out nint panelStride)
    {
        int nr = kernel.NR;
        panelStride = (nint)kc * nr;
        float* source = x + (long)problem * geometry.InChannelsPerGroup * geometry.InputPlane;
        int tail = nc % nr;
        if (tail != 0)
        {
            // Unused lanes of the last panel are computed but never stored; keep them finite and cheap (no denormals).
            float* last = buffer + (nc / nr) * panelStride;
            for (int kk = 0; kk < kc; kk++) new Span<float>(last + (long)kk * nr + tail, nr - tail).Clear();
        }
        if (geometry.Rank <= 2) Panels2d(source, nr, k0, kc, n0, nc, buffer, panelStride);
        else PanelsNd(source, nr, k0, kc, n0, nc, buffer, panelStride);
        return buffer;
    }

    private void Panels2d(float* source, int nr, int k0, int kc, int n0, int nc, float* buffer, nint panelStride)
    {
        ConvGeometry g = geometry;
        bool is2d = g.Rank == 2;
        int inH = is2d ? g.InputSize[0] : 1, inW = g.InputSize[^1];
        int outW = g.OutputSize[^1];
        int kH = is2d ? g.KernelSize[0] : 1, kW = g.KernelSize[^1];
        int sH = is2d ? g.Strides[0] : 1, sW = g.Strides[^1];
        int dH = is2d ? g.Dilations[0] : 1, dW = g.Dilations[^1];
        int pH = is2d ? g.PadsBegin[0] : 0, pW = g.PadsBegin[^1];
        int plane = g.InputPlane;
        int kernelPlane = kH * kW;

        for (int kk = 0; kk < kc; kk++)
        {
            int k = k0 + kk;
            int channel = k / kernelPlane, tap = k - channel * kernelPlane;
            int kh = tap / kW, kw = tap - kh * kW;
            float* channelPlane = source + (long)channel * plane;
            int dy = kh * dH - pH, dx = kw * dW - pW;
            float* rowBase = buffer + (long)kk * nr;

            int n = n0, end = n0 + nc;
            int oh = n / outW, ow = n - oh * outW;
            while (n < end)
            {
                int lane = (n - n0) % nr;
                int length = Math.Min(Math.Min(outW - ow, end - n), nr - lane);
                float* dst = rowBase + ((n - n0) / nr) * panelStride + lane;
                int ih = oh * sH + dy;
                if ((uint)ih >= (uint)inH)
                {
                    Zero(dst, length);
                }
                else
                {
                    float* row = channelPlane + (long)ih * inW;
                    int iw0 = ow * sW + dx;
                    // Lanes [lo, hi) read inside the row; the rest are padding.
                    int lo = iw0 >= 0 ? 0 : Math.Min(length, (-iw0 + sW - 1) / sW);
                    int hi = iw0 >= inW ? 0 : Math.Min(length, (inW - iw0 + sW - 1) / sW);
                    if (hi < lo) hi = lo;
                    Zero(dst, lo);
                    if (sW == 1) Copy(row + iw0 + lo, dst + lo, hi - lo);
                    else
                        for (int t = lo; t < hi; t++) dst[t] = row[iw0 + t * sW];
                    Zero(dst + hi, length - hi);
                }
                n += length;
                ow += length;
                if (ow == outW)
                {
                    ow = 0;
                    oh++;
                }
            }
        }
    }

    private void PanelsNd(float* source, int nr, int k0, int kc, int n0, int nc, float* buffer, nint panelStride)
    {
        ConvGeometry g = geometry;
        int rank = g.Rank;
        Span<int> tap = stackalloc int[rank];
        Span<int> position = stackalloc int[rank];
        for (int kk = 0; kk < kc; kk++)
        {
            int k = k0 + kk;
            int channel = k / g.KernelPlane;
            int rest = k - channel * g.KernelPlane;
            for (int d = rank - 1; d >= 0; d--)
            {
                tap[d] = rest % g.KernelSize[d];
                rest /= g.KernelSize[d];
            }
            float* channelPlane = source + (long)channel * g.InputPlane;
            for (int t = 0; t < nc; t++)
            {
                int n = n0 + t;
                for (int d = rank - 1; d >= 0; d--)
                {
                    position[d] = n % g.OutputSize[d];
                    n /= g.OutputSize[d];
                }
                long offset = 0;
                bool inside = true;
                for (int d = 0; d < rank; d++)
                {
                    int i = position[d] * g.Strides[d] - g.PadsBegin[d] + tap[d] * g.Dilations[d];
                    if ((uint)i >= (uint)g.InputSize[d])
                    {
                        inside = false;
                        break;
                    }
                    offset = offset * g.InputSize[d] + i;
                }
                buffer[(t / nr) * panelStride + (long)kk * nr + t % nr] = inside ? channelPlane[offset] : 0f;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Zero(float* dst, int count)
    {
        for (int t = 0; t < count; t++) dst[t] = 0f;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Copy(float* src, float* dst, int count)
    {
        int t = 0;
        if (Vector256.IsHardwareAccelerated)
            for (; t + 8 <= count; t += 8) Vector256.Store(Vector256.Load(src + t), dst + t);
        for (; t < count; t++) dst[t] = src[t];
    }
}
