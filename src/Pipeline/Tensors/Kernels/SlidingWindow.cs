namespace Pipeline.Tensors.Kernels;

/// <summary>ONNX's auto_pad attribute of Conv and the pooling operators.</summary>
internal enum AutoPad
{
    /// <summary>Use the explicit pads.</summary>
    NotSet,
    /// <summary>Pad so that output = ⌈input / stride⌉, the extra padding at the end.</summary>
    SameUpper,
    /// <summary>Pad so that output = ⌈input / stride⌉, the extra padding at the beginning.</summary>
    SameLower,
    /// <summary>No padding.</summary>
    Valid,
}

/// <summary>
/// The output size and padding of one spatial axis of a sliding window (conv or pooling), by the ONNX rules:
/// explicit pads, auto_pad SAME_UPPER / SAME_LOWER / VALID, and pooling's ceil_mode with its "a window may not start in
/// the end padding" rule.
/// </summary>
internal static class SlidingWindow
{
    /// <summary>
    /// Resolves one axis. <paramref name="padBegin"/> and <paramref name="padEnd"/> hold the explicit pads on entry and
    /// the effective ones on return. Returns the output size (may be ≤ 0 for a window larger than the padded input).
    /// </summary>
    public static long OutputSize(long input, long kernel, long stride, long dilation, AutoPad autoPad, bool ceilMode,
        ref long padBegin, ref long padEnd)
    {
        long extent = (kernel - 1) * dilation + 1;
        switch (autoPad)
        {
            case AutoPad.Valid:
                padBegin = padEnd = 0;
                // ceil_mode decides how a partial last window counts, as with explicit pads.
                return Sized(input, extent, stride, ceilMode, input);
            case AutoPad.SameUpper:
            case AutoPad.SameLower:
            {
                long output = (input + stride - 1) / stride;
                long total = Math.Max(0, (output - 1) * stride + extent - input);
                padBegin = autoPad == AutoPad.SameUpper ? total / 2 : total - total / 2;
                padEnd = total - padBegin;
                return output;
            }
            default:
                return Sized(input + padBegin + padEnd, extent, stride, ceilMode, input + padBegin);
        }
    }

    private static long Sized(long padded, long extent, long stride, bool ceilMode, long lastStartLimit)
    {
        long span = padded - extent;
        if (span < 0) return 0;
        long output = (ceilMode ? (span + stride - 1) / stride : span / stride) + 1;
        // With ceil_mode the last window must start inside the input or the begin padding, never in the end padding.
        if (ceilMode && (output - 1) * stride >= lastStartLimit) output--;
        return output;
    }
}
