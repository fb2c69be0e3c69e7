using System.Numerics;
using System.Runtime.CompilerServices;

namespace Pipeline.Tensors.Kernels.Pooling;

/// <summary>
/// What a pooling window computes from the input values under its valid taps. A struct type argument of
/// <see cref="PoolingKernel"/>, so each kind of pooling gets its own specialized loop.
/// </summary>
internal interface IWindowReducer<T> where T : unmanaged
{
    /// <summary>Starts a new window.</summary>
    void Reset();

    /// <summary>Adds the value at row-major offset <paramref name="offset"/> of the plane.</summary>
    void Add(T value, int offset);

    /// <summary>The window's result, given its valid and padded tap counts; <paramref name="argOffset"/> receives the selected offset (max only).</summary>
    T Finish(int validCount, int paddedCount, out int argOffset);
}

/// <summary>Maximum; the first of equal maxima wins (its offset is the Indices output). Empty windows give the lowest value.</summary>
internal struct MaxReducer<T> : IWindowReducer<T> where T : unmanaged, INumber<T>, IMinMaxValue<T>
{
    private T _best;
    private int _offset;
    private bool _any;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Reset()
    {
        _best = T.MinValue;
        _offset = -1;
        _any = false;
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(T value, int offset)
    {
        // NaN never compares greater, so a NaN is only kept when it is the first value (as a reference loop would).
        if (!_any || value > _best)
        {
            _best = value;
            _offset = offset;
            _any = true;
        }
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Finish(int validCount, int paddedCount, out int argOffset)
    {
        argOffset = _offset;
        if (!_any && typeof(T) == typeof(float)) return (T)(object)float.NegativeInfinity;
        return _best;
    }
}

/// <summary>Mean over the valid taps, or over the taps inside the padded extent with count_include_pad.</summary>
internal struct AverageReducer(bool countIncludePad) : IWindowReducer<float>
{
    private double _sum;

    /// <summary>Whether the divisor counts the taps in the padding.</summary>
    public readonly bool CountIncludePad => countIncludePad;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Reset() => _sum = 0;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(float value, int offset) => _sum += value;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly float Finish(int validCount, int paddedCount, out int argOffset)
    {
        argOffset = -1;
        int count = countIncludePad ? paddedCount : validCount;
        return count == 0 ? 0f : (float)(_sum / count);
    }
}

/// <summary>(Σ |x|^p)^(1/p) over the valid taps (padding contributes zeros).</summary>
internal struct LpReducer(float p) : IWindowReducer<float>
{
    private double _sum;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Reset() => _sum = 0;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(float value, int offset)
    {
        double a = Math.Abs((double)value);
        _sum += p == 2f ? a * a : p == 1f ? a : Math.Pow(a, p);
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly float Finish(int validCount, int paddedCount, out int argOffset)
    {
        argOffset = -1;
        return (float)(p == 2f ? Math.Sqrt(_sum) : p == 1f ? _sum : Math.Pow(_sum, 1.0 / p));
    }
}
