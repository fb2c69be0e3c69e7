using System.Buffers.Binary;
using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Pipeline.Imaging.Jpeg;

internal sealed unsafe partial class HuffmanScanDecoder
{
    /// <summary>
    /// One progressive scan (T.81 G.1.2): DC first / refinement (possibly interleaved) or AC first / refinement of
    /// one component's spectral band, with end-of-band runs. Coefficients accumulate in the components' buffers.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // one call per scan: skip the slow tiers and on-stack replacement
    public void DecodeProgressive(int mcusX, int mcusY)
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
                if (single && _eobRun > 0 && !Exhausted)
                {
                    // Inside an end-of-band run of an AC scan (AC scans have one component, one block per MCU):
                    // take the blocks the run still covers in this row, up to the next restart, in one go.
                    int span = Math.Min(Math.Min(_eobRun, columns - mx), BlocksBeforeRestart(mcu));
                    JpegComponent c = _components[0];
                    long firstBlock = (long)my * c.BlocksPerLine + mx;
                    if (_ah == 0) _eobRun -= span; // first scans: blocks inside the run read nothing
                    else span = RefineInsideRun(c, firstBlock, span);
                    mx += span - 1;
                    mcu += span - 1;
                    CheckOverrun();
                    continue;
                }
                foreach (JpegComponent c in _components)
                {
                    if (Exhausted) break;
                    int blocksHigh = single ? 1 : c.V, blocksWide = single ? 1 : c.H;
                    for (int by = 0; by < blocksHigh; by++)
                    {
                        for (int bx = 0; bx < blocksWide; bx++)
                        {
                            int blockRow = my * blocksHigh + by, blockColumn = mx * blocksWide + bx;
                            long blockIndex = (long)blockRow * c.BlocksPerLine + blockColumn;
                            short* block = c.CoefficientBase + blockIndex * 64;
                            ulong* nonzero = c.NonzeroMaskBase + blockIndex;
                            bool ok = _ss == 0
                                ? (_ah == 0 ? DcFirst(c, block) : DcRefine(block))
                                : (_ah == 0 ? AcFirst(c, block, nonzero) : AcRefine(c, block, nonzero));
                            if (!ok)
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
    }

    /// <summary>MCUs from <paramref name="mcu"/> up to the next restart marker (an end-of-band run ends there).</summary>
    private int BlocksBeforeRestart(int mcu) => _restartInterval == 0 ? int.MaxValue : _restartInterval - mcu % _restartInterval;

    /// <summary>
    /// Refines up to <paramref name="span"/> blocks from <paramref name="firstBlock"/>, all inside the current
    /// end-of-band run, exactly as <see cref="AcRefine"/> would one by one; returns how many it took. At most
    /// <see cref="RefineSpan"/> at once: each block reads at most 63 bits, so they stay within the reader's margin.
    /// </summary>
    private int RefineInsideRun(JpegComponent c, long firstBlock, int span)
    {
        span = Math.Min(span, RefineSpan);
        int plus = 1 << _al, minus = -1 << _al;
        ulong band = BandMask(_ss, _se);
        byte* zigZag = ZigZag;
        ulong* nonzero = c.NonzeroMaskBase + firstBlock;
        var bits = new BitCursor(ref _reader);
        for (int i = 0; i < span; i++)
        {
            ulong candidates = nonzero[i] & band;
            if (candidates == 0) continue;
            short* block = c.CoefficientBase + (firstBlock + i) * 64;
            for (; candidates != 0; candidates &= candidates - 1)
            {
                short* coef = block + zigZag[BitOperations.TrailingZeroCount(candidates)];
                if (*coef != 0 && bits.Take(1) != 0 && (*coef & plus) == 0) *coef += (short)(*coef >= 0 ? plus : minus);
            }
        }
        bits.Store(ref _reader);
        _eobRun -= span;
        return span;
    }

    /// <summary>Blocks <see cref="RefineInsideRun"/> takes at once: 64 x 63 bits is 504 bytes, well inside <see cref="JpegBitReader.Margin"/>.</summary>
    private const int RefineSpan = 64;

    private bool DcFirst(JpegComponent c, short* block)
    {
        var bits = new BitCursor(ref _reader);
        int s = bits.Symbol(_dcTables[c.DcTable]!);
        if (s < 0) return false;
        if (s != 0) c.DcPredictor += Extend(bits.Take(s), s);
        block[0] = (short)(c.DcPredictor << _al);
        bits.Store(ref _reader);
        return true;
    }

    private bool DcRefine(short* block)
    {
        var bits = new BitCursor(ref _reader);
        if (bits.Take(1) != 0) block[0] |= (short)(1 << _al);
        bits.Store(ref _reader);
        return true;
    }

    // AcFirst and AcRefine start outside an end-of-band run: DecodeProgressive takes the blocks inside one itself.
    private bool AcFirst(JpegComponent c, short* block, ulong* nonzero)
    {
        Debug.Assert(_eobRun == 0);
        HuffmanTable table = _acTables[c.AcTable]!;
        byte* zigZag = ZigZag;
        int se = _se, al = _al;
        var bits = new BitCursor(ref _reader);
        for (int k = _ss; k <= se; k++)
        {
            int rs = bits.Symbol(table);
            if (rs < 0) return false;
            int run = rs >> 4, s = rs & 15;
            if (s != 0)
            {
                k += run;
                block[zigZag[k]] = (short)(Extend(bits.Take(s), s) << al);
                *nonzero |= PositionBit(k);
            }
            else if (run == 15)
            {
                k += 15;
            }
            else
            {
                int eobRun = 1 << run;
                if (run != 0) eobRun += bits.Take(run);
                _eobRun = eobRun - 1;
                break;
            }
        }
        bits.Store(ref _reader);
        return true;
    }

    private bool AcRefine(JpegComponent c, short* block, ulong* nonzero)
    {
        int plus = 1 << _al, minus = -1 << _al;
        int k = _ss, se = _se;
        byte* zigZag = ZigZag;
        Debug.Assert(_eobRun == 0);
        var bits = new BitCursor(ref _reader);
        HuffmanTable table = _acTables[c.AcTable]!;
        for (; k <= se; k++)
        {
            int rs = bits.Symbol(table);
            if (rs < 0) return false;
            int run = rs >> 4, s = rs & 15, value = 0;
            if (s != 0)
            {
                // A newly nonzero coefficient is always ±1 at this bit position (s should be 1).
                value = bits.Take(1) != 0 ? plus : minus;
            }
            else if (run != 15)
            {
                _eobRun = 1 << run;
                if (run != 0) _eobRun += bits.Take(run);
                break; // the rest of the band is handled by the end-of-band code below
            }

            // Skip `run` zero coefficients, appending a correction bit to each nonzero one passed.
            do
            {
                short* coef = block + zigZag[k];
                if (*coef != 0)
                {
                    if (bits.Take(1) != 0 && (*coef & plus) == 0) *coef += (short)(*coef >= 0 ? plus : minus);
                }
                else if (--run < 0)
                {
                    break;
                }
                k++;
            }
            while (k <= se);

            if (s != 0)
            {
                block[zigZag[k]] = (short)value;
                *nonzero |= PositionBit(k);
            }
        }

        if (_eobRun > 0)
        {
            // Inside an end-of-band run: only correction bits for the coefficients already nonzero, in zig-zag order.
            // The mask names the candidates, so this costs the block's nonzero coefficients, each of which reads a
            // bit of the file, instead of walking positions k..Se (up to 63 steps for a block that reads nothing).
            for (ulong candidates = *nonzero & BandMask(k, se); candidates != 0; candidates &= candidates - 1)
            {
                short* coef = block + zigZag[BitOperations.TrailingZeroCount(candidates)];
                if (*coef != 0 && bits.Take(1) != 0 && (*coef & plus) == 0) *coef += (short)(*coef >= 0 ? plus : minus);
            }
            _eobRun--;
        }
        bits.Store(ref _reader);
        return true;
    }

    /// <summary>
    /// The nonzero-mask bit of zig-zag position <paramref name="k"/>. A corrupt run can carry k past 63; the zig-zag
    /// table sends those positions to coefficient 63, and so does this.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong PositionBit(int k) => 1UL << Math.Min(k, 63);

    /// <summary>Mask bits of zig-zag positions <paramref name="from"/>..<paramref name="to"/> (to ≤ 63); none when from &gt; to.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong BandMask(int from, int to) => from > to ? 0 : (ulong.MaxValue << from) & (ulong.MaxValue >> (63 - to));

    private static byte* ZigZag => (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(JpegConstants.ZigZagToNatural));

    /// <summary>
    /// The reader's bit state copied into a small local struct for one block, so the JIT keeps it in registers;
    /// <see cref="Store"/> writes it back. Same refill and decoding as <see cref="DecodeBlock"/>.
    /// </summary>
    private ref struct BitCursor
    {
        private readonly byte* _buffer;
        private int _position;
        private ulong _bits;
        private int _count;

        public BitCursor(ref JpegBitReader reader)
        {
            _buffer = reader.Buffer;
            _position = reader.Position;
            _bits = reader.Bits;
            _count = reader.Count;
        }

        public readonly void Store(ref JpegBitReader reader)
        {
            reader.Position = _position;
            reader.Bits = _bits;
            reader.Count = _count;
        }

        /// <summary>Decodes one Huffman symbol, or returns -1 for an invalid code.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int Symbol(HuffmanTable table)
        {
            Ensure();
            int entry = table.LookupBase[_bits >> (64 - HuffmanTable.LookaheadBits)];
            if (entry == 0)
            {
                entry = DecodeLong(table, _bits);
                if (entry < 0) return -1;
            }
            _bits <<= entry >> 8;
            _count -= entry >> 8;
            return entry & 0xFF;
        }

        /// <summary>Reads <paramref name="n"/> (1–16) raw bits.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int Take(int n)
        {
            Ensure();
            int v = (int)(_bits >> (64 - n));
            _bits <<= n;
            _count -= n;
            return v;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void Ensure()
        {
            if (_count < 32)
            {
                _bits |= BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<ulong>(_buffer + _position)) >> _count;
                _position += (63 - _count) >> 3;
                _count |= 56;
            }
        }
    }
}
