using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Pipeline.Training.Numerics;

namespace Pipeline.Featurizers.Pooling;

/// <summary>
/// The two loops every pooling runs, for a rectangular cell [y0, y1) × [x0, x1) of a feature map:
/// channels-first maps are reduced per channel along each row segment (vectorized over H·W; a cell spanning whole
/// rows is one contiguous segment, so global pooling is a single vector pass per channel); channels-last maps are
/// accumulated pixel by pixel, vectorized over the channels. The order of operations depends only on the data and
/// the vector width, never on alignment or threads.
/// </summary>
internal static class CellReduction
{
    /// <summary>
    /// Writes the reduction of the cell, one value per channel, into <paramref name="destination"/> (C values; for a
    /// channels-last map it is also the accumulator).
    /// </summary>
    public static void Reduce<TReducer>(in TReducer reducer, FeatureMap map, int y0, int y1, int x0, int x1, Span<float> destination, VectorWidth width)
        where TReducer : struct, IPoolReducer
    {
        int channels = map.Channels, h = map.Height, w = map.Width;
        if (map.Layout == FeatureLayout.ChannelsFirst)
        {
            bool wholeRows = x0 == 0 && x1 == w;
            for (int c = 0; c < channels; c++)
            {
                ReadOnlySpan<float> plane = map.Data.Slice(c * h * w, h * w);
                float acc;
                if (wholeRows)
                {
                    acc = Segment(reducer, plane.Slice(y0 * w, (y1 - y0) * w), width);
                }
                else
                {
                    acc = reducer.Seed;
                    for (int y = y0; y < y1; y++) acc = reducer.Combine(acc, Segment(reducer, plane.Slice(y * w + x0, x1 - x0), width));
                }
                destination[c] = acc;
            }
        }
        else
        {
            destination[..channels].Fill(reducer.Seed);
            for (int y = y0; y < y1; y++)
                for (int x = x0; x < x1; x++)
                    Accumulate(reducer, map.Data.Slice((y * w + x) * channels, channels), destination, width);
        }
    }

    /// <summary>Reduces a contiguous run of values to one: one vector accumulator, a fixed horizontal fold, then the tail.</summary>
    internal static float Segment<TReducer>(in TReducer r, ReadOnlySpan<float> values, VectorWidth width) where TReducer : struct, IPoolReducer
    {
        ref float x = ref MemoryMarshal.GetReference(values);
        int n = values.Length, i = 0;
        float acc = r.Seed;
        if (width == VectorWidth.Bits512 && n >= Vector512<float>.Count)
        {
            Vector512<float> v = Vector512.Create(r.Seed);
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count) v = r.Combine(v, r.Map(Vector512.LoadUnsafe(ref x, (nuint)i)));
            acc = Fold(r, r.Combine(v.GetLower(), v.GetUpper()));
        }
        else if (width >= VectorWidth.Bits256 && n >= Vector256<float>.Count)
        {
            Vector256<float> v = Vector256.Create(r.Seed);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count) v = r.Combine(v, r.Map(Vector256.LoadUnsafe(ref x, (nuint)i)));
            acc = Fold(r, v);
        }
        else if (width >= VectorWidth.Bits128 && n >= Vector128<float>.Count)
        {
            Vector128<float> v = Vector128.Create(r.Seed);
            for (; i <= n - Vector128<float>.Count; i += Vector128<float>.Count) v = r.Combine(v, r.Map(Vector128.LoadUnsafe(ref x, (nuint)i)));
            acc = Fold(r, v);
        }
        for (; i < n; i++) acc = r.Combine(acc, r.Map(values[i]));
        return acc;
    }

    /// <summary><c>acc[c] = Combine(acc[c], Map(pixel[c]))</c> for every channel.</summary>
    internal static void Accumulate<TReducer>(in TReducer r, ReadOnlySpan<float> pixel, Span<float> acc, VectorWidth width) where TReducer : struct, IPoolReducer
    {
        ref float x = ref MemoryMarshal.GetReference(pixel);
        ref float a = ref MemoryMarshal.GetReference(acc);
        int n = pixel.Length, i = 0;
        if (width == VectorWidth.Bits512)
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
                r.Combine(Vector512.LoadUnsafe(ref a, (nuint)i), r.Map(Vector512.LoadUnsafe(ref x, (nuint)i))).StoreUnsafe(ref a, (nuint)i);
        if (width >= VectorWidth.Bits256)
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
                r.Combine(Vector256.LoadUnsafe(ref a, (nuint)i), r.Map(Vector256.LoadUnsafe(ref x, (nuint)i))).StoreUnsafe(ref a, (nuint)i);
        if (width >= VectorWidth.Bits128)
            for (; i <= n - Vector128<float>.Count; i += Vector128<float>.Count)
                r.Combine(Vector128.LoadUnsafe(ref a, (nuint)i), r.Map(Vector128.LoadUnsafe(ref x, (nuint)i))).StoreUnsafe(ref a, (nuint)i);
        for (; i < n; i++) acc[i] = r.Combine(acc[i], r.Map(pixel[i]));
    }

    private static float Fold<TReducer>(in TReducer r, Vector256<float> v) where TReducer : struct, IPoolReducer
        => Fold(r, r.Combine(v.GetLower(), v.GetUpper()));

    private static float Fold<TReducer>(in TReducer r, Vector128<float> v) where TReducer : struct, IPoolReducer
        => r.Combine(r.Combine(v.GetElement(0), v.GetElement(1)), r.Combine(v.GetElement(2), v.GetElement(3)));
}
