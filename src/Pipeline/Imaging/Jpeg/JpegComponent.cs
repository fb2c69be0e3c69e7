using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Pipeline.Imaging.Jpeg;

/// <summary>
/// One color component of the frame: its sampling and tables from SOF/SOS, its block grid, its coefficients when
/// the image is decoded in several scans, and its size at the chosen output scale.
/// </summary>
internal sealed unsafe class JpegComponent
{
    /// <summary>Position in the frame header.</summary>
    public int Index;

    /// <summary>The component identifier scans refer to.</summary>
    public int Id;

    /// <summary>Horizontal and vertical sampling factors (1–4).</summary>
    public int H, V;

    /// <summary>The quantization table the frame header assigns.</summary>
    public int QuantTableIndex;

    /// <summary>The quantization table, natural order, latched when the component's first scan starts (pinned).</summary>
    public int[]? Quant;

    /// <summary>Huffman table selectors of the current scan.</summary>
    public int DcTable, AcTable;

    /// <summary>DC prediction of the current scan.</summary>
    public int DcPredictor;

    /// <summary>Blocks per row and block rows of the MCU-padded grid (what interleaved scans cover).</summary>
    public int BlocksPerLine, BlockRows;

    /// <summary>Blocks a non-interleaved scan covers: ceil(component size / 8).</summary>
    public int WidthInBlocks, HeightInBlocks;

    /// <summary>
    /// All coefficients, natural order, 64 per block, row-major over the padded grid (multi-scan images only).
    /// Rented from the shared pool and pinned while decoding: a large progressive image needs tens of megabytes,
    /// and touching fresh memory for every image costs more than clearing reused memory.
    /// </summary>
    public short[]? Coefficients;

    /// <summary>The pin on <see cref="Coefficients"/>.</summary>
    public GCHandle CoefficientHandle;

    /// <summary>
    /// Progressive images only: one word per block (same order as <see cref="Coefficients"/>) whose bit k is set once
    /// an AC scan has stored a value at zig-zag position k. Never cleared, so it is a superset of the nonzero AC
    /// coefficients: refinement inside an end-of-band run visits just these positions instead of the whole band, so
    /// a block costs its nonzero coefficients (each reads a correction bit from the file) rather than up to 63 steps.
    /// </summary>
    public ulong[]? NonzeroMasks;

    /// <summary>The pin on <see cref="NonzeroMasks"/>.</summary>
    public GCHandle NonzeroMaskHandle;

    /// <summary>Address of <see cref="NonzeroMasks"/>.</summary>
    public ulong* NonzeroMaskBase;

    /// <summary>
    /// Progressive bookkeeping (libjpeg's coef_bits): for each coefficient, the bit position still to be refined,
    /// -1 before its first scan; all zero once the coefficient is complete.
    /// </summary>
    public readonly int[] CoefficientBits = [.. Enumerable.Repeat(-1, 64)];

    /// <summary>True once a sequential scan covered this component to its end.</summary>
    public bool SequentialDone;

    // ---- output geometry at the chosen scale ----

    /// <summary>Pixels per block side after the (possibly reduced) inverse DCT: 8, 4, 2 or 1.</summary>
    public int ScaledSize;

    /// <summary>Samples of this component per output row and rows per image (libjpeg's downsampled_width/height).</summary>
    public int DownsampledWidth, DownsampledHeight;

    /// <summary>Output pixels per component sample, horizontally and vertically.</summary>
    public int HExpand, VExpand;

    /// <summary>How rows are brought to full resolution.</summary>
    public UpsampleMethod Upsample;

    /// <summary>Sample rows one MCU row (strip) produces.</summary>
    public int StripRows;

    /// <summary>Ring of three strips of samples (pinned).</summary>
    public byte[]? Ring;

    /// <summary>Bytes per ring row (padded for SIMD over-reads).</summary>
    public int RingStride;

    /// <summary>Rows in the ring.</summary>
    public int RingRows;

    /// <summary>Scratch row for the upsampled samples (pinned).</summary>
    public byte[]? UpsampleRow;

    /// <summary>Address of <see cref="Ring"/>'s first byte (the array is pinned).</summary>
    public byte* RingBase;

    /// <summary>Address of <see cref="UpsampleRow"/>'s first byte.</summary>
    public byte* UpsampleBase;

    /// <summary>Address of the quantization table.</summary>
    public int* QuantBase;

    /// <summary>Address of the coefficients.</summary>
    public short* CoefficientBase;

    /// <summary>The ring row holding sample row <paramref name="row"/>.</summary>
    public byte* RingRow(int row) => RingBase + (row % RingRows) * RingStride;

    /// <summary>Rents, clears and pins <see cref="Coefficients"/> for <paramref name="length"/> values.</summary>
    public void RentCoefficients(int length)
    {
        Coefficients = ArrayPool<short>.Shared.Rent(length);
        CoefficientHandle = GCHandle.Alloc(Coefficients, GCHandleType.Pinned);
        CoefficientBase = (short*)CoefficientHandle.AddrOfPinnedObject();
        new Span<short>(CoefficientBase, length).Clear();
    }

    /// <summary>Rents, clears and pins <see cref="NonzeroMasks"/> for <paramref name="blocks"/> blocks.</summary>
    public void RentNonzeroMasks(int blocks)
    {
        NonzeroMasks = ArrayPool<ulong>.Shared.Rent(blocks);
        NonzeroMaskHandle = GCHandle.Alloc(NonzeroMasks, GCHandleType.Pinned);
        NonzeroMaskBase = (ulong*)NonzeroMaskHandle.AddrOfPinnedObject();
        new Span<ulong>(NonzeroMaskBase, blocks).Clear();
    }

    /// <summary>Unpins and returns <see cref="Coefficients"/> and <see cref="NonzeroMasks"/> (no-op for those not rented).</summary>
    public void ReturnCoefficients()
    {
        if (Coefficients is not null)
        {
            CoefficientHandle.Free();
            ArrayPool<short>.Shared.Return(Coefficients);
            Coefficients = null;
            CoefficientBase = null;
        }
        if (NonzeroMasks is not null)
        {
            NonzeroMaskHandle.Free();
            ArrayPool<ulong>.Shared.Return(NonzeroMasks);
            NonzeroMasks = null;
            NonzeroMaskBase = null;
        }
    }

    /// <summary>A zeroed array on the pinned heap and its address.</summary>
    public static T[] AllocatePinned<T>(int length, out T* address) where T : unmanaged
    {
        T[] array = GC.AllocateArray<T>(length, pinned: true);
        address = (T*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
        return array;
    }
}
