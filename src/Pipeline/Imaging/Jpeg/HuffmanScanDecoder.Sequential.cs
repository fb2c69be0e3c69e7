using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Pipeline.Imaging.Jpeg;

internal sealed unsafe partial class HuffmanScanDecoder
{
    /// <summary>
    /// A single-scan sequential image: each MCU row is decoded, transformed straight into the components' ring
    /// strips and handed to <paramref name="rows"/>, so no coefficients are kept.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // one call per image: skip the slow tiers and on-stack replacement
    public void DecodeSequentialToRows(int mcusX, int mcusY, JpegRowAssembler rows)
    {
        (int columns, int mcuRows) = McuGrid(_components, mcusX, mcusY);
        short* block = stackalloc short[64];
        new Span<short>(block, 64).Clear();
        int mcu = 0;
        for (int my = 0; my < mcuRows; my++)
        {
            for (int mx = 0; mx < columns; mx++, mcu++)
            {
                RestartIfDue(mcu);
                _reader.Prepare();
                foreach (JpegComponent c in _components)
                {
                    HuffmanTable dc = _dcTables[c.DcTable]!, ac = _acTables[c.AcTable]!;
                    int size = c.ScaledSize, stride = c.RingStride;
                    for (int by = 0; by < c.V; by++)
                    {
                        byte* row = c.RingRow((my * c.V + by) * size) + mx * c.H * size;
                        for (int bx = 0; bx < c.H; bx++)
                        {
                            byte* destination = row + bx * size;
                            if (Exhausted)
                            {
                                JpegIdct.DcOnly(block, c.QuantBase, destination, stride, size); // zero block: grey
                                continue;
                            }
                            int last = DecodeBlock(ref _reader, dc, ac, block, ref c.DcPredictor);
                            if (last == 0) JpegIdct.DcOnly(block, c.QuantBase, destination, stride, size);
                            else if (last > 0) JpegIdct.Transform(block, c.QuantBase, destination, stride, size);
                            else
                            {
                                Fail(_reader.SourceOffset, "invalid Huffman code");
                                new Span<short>(block, 64).Clear();
                                JpegIdct.DcOnly(block, c.QuantBase, destination, stride, size);
                            }
                            ClearBlock(block);
                        }
                    }
                }
                CheckOverrun();
            }
            rows.StripsReady(my + 1);
        }
        foreach (JpegComponent c in _components) c.SequentialDone = !Exhausted;
    }

    /// <summary>A sequential scan of a multi-scan image: coefficients go to the components' buffers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void DecodeSequentialToCoefficients(int mcusX, int mcusY)
    {
        (int columns, int mcuRows) = McuGrid(_components, mcusX, mcusY);
        bool single = _components.Length == 1;
        int mcu = 0;
        for (int my = 0; my < mcuRows && !Exhausted; my++)
        {
            for (int mx = 0; mx < columns && !Exhausted; mx++, mcu++)
            {
                RestartIfDue(mcu);
                _reader.Prepare();
                foreach (JpegComponent c in _components)
                {
                    if (Exhausted) break;
                    HuffmanTable dc = _dcTables[c.DcTable]!, ac = _acTables[c.AcTable]!;
                    int blocksHigh = single ? 1 : c.V, blocksWide = single ? 1 : c.H;
                    for (int by = 0; by < blocksHigh; by++)
                    {
                        for (int bx = 0; bx < blocksWide; bx++)
                        {
                            int blockRow = my * blocksHigh + by, blockColumn = mx * blocksWide + bx;
                            short* block = c.CoefficientBase + ((long)blockRow * c.BlocksPerLine + blockColumn) * 64;
                            if (DecodeBlock(ref _reader, dc, ac, block, ref c.DcPredictor) < 0)
                            {
                                Fail(_reader.SourceOffset, "invalid Huffman code");
                                break;
                            }
                        }
                    }
                }
                CheckOverrun();
            }
        }
        foreach (JpegComponent c in _components) c.SequentialDone = !Exhausted;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ClearBlock(short* block)
    {
        new Span<short>(block, 64).Clear();
    }

    /// <summary>
    /// Decodes one block of a sequential scan (T.81 F.2.2) into <paramref name="block"/> (natural order; it must be
    /// zero on entry). Returns the zig-zag index of the last coefficient written (0: DC only), or -1 for a code that
    /// is not in the table.
    /// </summary>
    /// <remarks>
    /// The bit buffer lives in locals for the whole block and the loop makes no calls, so the JIT keeps it in
    /// registers; the refill is written out at both places that need it because passing the locals by reference to
    /// a helper would make the JIT keep them in memory. Before each symbol at least 32 bits are buffered: a code
    /// (at most 16) plus its value bits (at most 15).
    /// </remarks>
    internal static int DecodeBlock(ref JpegBitReader reader, HuffmanTable dcTable, HuffmanTable acTable, short* block, ref int predictor)
    {
        byte* buffer = reader.Buffer;
        int position = reader.Position;
        ulong bits = reader.Bits;
        int count = reader.Count;
        if (count < 32)
        {
            bits |= BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<ulong>(buffer + position)) >> count;
            position += (63 - count) >> 3;
            count |= 56;
        }

        // DC: a size category, then that many bits of difference.
        int entry = dcTable.LookupBase[bits >> (64 - HuffmanTable.LookaheadBits)];
        if (entry == 0)
        {
            entry = DecodeLong(dcTable, bits);
            if (entry < 0) goto Invalid;
        }
        bits <<= entry >> 8;
        count -= entry >> 8;
        int s = entry & 0xFF;
        if (s != 0)
        {
            int v = (int)(bits >> (64 - s));
            bits <<= s;
            count -= s;
            predictor += Extend(v, s);
        }
        block[0] = (short)predictor;

        // AC: run/size symbols until EOB or the end of the block.
        int last = 0;
        ushort* acLookup = acTable.LookupBase;
        int* fastAc = acTable.FastAcBase;
        byte* zigZag = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(JpegConstants.ZigZagToNatural));
        for (int k = 1; k < 64;)
        {
            if (count < 32)
            {
                bits |= BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<ulong>(buffer + position)) >> count;
                position += (63 - count) >> 3;
                count |= 56;
            }
            int peek = (int)(bits >> (64 - HuffmanTable.LookaheadBits));
            int fast = fastAc[peek];
            if (fast != 0)
            {
                // Code and value both inside the lookahead.
                k += (fast >> 8) & 0xFF;
                int length = fast & 0xFF;
                bits <<= length;
                count -= length;
                block[zigZag[k]] = (short)(fast >> 16);
                last = k++;
                continue;
            }

            entry = acLookup[peek];
            if (entry == 0)
            {
                entry = DecodeLong(acTable, bits);
                if (entry < 0) goto Invalid;
            }
            bits <<= entry >> 8;
            count -= entry >> 8;
            int run = (entry >> 4) & 15;
            s = entry & 15;
            if (s == 0)
            {
                if (run != 15) break; // EOB
                k += 16;              // ZRL: sixteen zeros
                continue;
            }
            k += run;
            int value = (int)(bits >> (64 - s));
            bits <<= s;
            count -= s;
            block[zigZag[k]] = (short)Extend(value, s);
            last = k++;
        }
        reader.Position = position;
        reader.Bits = bits;
        reader.Count = count;
        return last;

    Invalid:
        reader.Position = position;
        reader.Bits = bits;
        reader.Count = count;
        return -1;
    }

    /// <summary>
    /// A code longer than the lookahead (T.81 F.2.2.3 DECODE, from length 10 on): returns (length &lt;&lt; 8) | symbol
    /// for the code at the top of <paramref name="bits"/>, or -1 when no code of up to 16 bits matches.
    /// The caller consumes the code; it must have 16 bits buffered.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int DecodeLong(HuffmanTable table, ulong bits)
    {
        int code16 = (int)(bits >> 48);
        for (int length = HuffmanTable.LookaheadBits + 1; length <= 16; length++)
        {
            int code = code16 >> (16 - length);
            if (code <= table.MaxCode[length])
            {
                int index = code + table.ValueOffset[length];
                if ((uint)index >= 256u) return -1;
                return (length << 8) | table.Values[index];
            }
        }
        return -1;
    }

    /// <summary>T.81 F.2.2.1 EXTEND without a branch: values below half the range are negative.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int Extend(int v, int s)
    {
        int negative = (v - (1 << (s - 1))) >> 31; // -1 when v < 2^(s-1)
        return v + (negative & ((-1 << s) + 1));
    }
}
