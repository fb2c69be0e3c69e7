using System.Runtime.CompilerServices;

namespace Pipeline.Imaging.Jpeg;

internal sealed unsafe partial class HuffmanScanDecoder
{
    /// <summary>
    /// One progressive scan (T.81 G.1.2): DC first / refinement (possibly interleaved) or AC first / refinement of
    /// one component's spectral band, with end-of-band runs. Coefficients accumulate in the components' buffers.
    /// </summary>
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
                foreach (JpegComponent c in _components)
                {
                    if (Exhausted) break;
                    int blocksHigh = single ? 1 : c.V, blocksWide = single ? 1 : c.H;
                    for (int by = 0; by < blocksHigh; by++)
                    {
                        for (int bx = 0; bx < blocksWide; bx++)
                        {
                            int blockRow = my * blocksHigh + by, blockColumn = mx * blocksWide + bx;
                            short* block = c.CoefficientBase + ((long)blockRow * c.BlocksPerLine + blockColumn) * 64;
                            bool ok = _ss == 0
                                ? (_ah == 0 ? DcFirst(c, block) : DcRefine(block))
                                : (_ah == 0 ? AcFirst(c, block) : AcRefine(c, block));
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

    private bool DcFirst(JpegComponent c, short* block)
    {
        int s = Symbol(_dcTables[c.DcTable]!);
        if (s < 0) return false;
        if (s != 0) c.DcPredictor += Extend(Take(s), s);
        block[0] = (short)(c.DcPredictor << _al);
        return true;
    }

    private bool DcRefine(short* block)
    {
        if (Take(1) != 0) block[0] |= (short)(1 << _al);
        return true;
    }

    private bool AcFirst(JpegComponent c, short* block)
    {
        if (_eobRun > 0)
        {
            _eobRun--;
            return true;
        }
        HuffmanTable table = _acTables[c.AcTable]!;
        fixed (byte* zigZag = JpegConstants.ZigZagToNatural)
        {
            for (int k = _ss; k <= _se; k++)
            {
                int rs = Symbol(table);
                if (rs < 0) return false;
                int run = rs >> 4, s = rs & 15;
                if (s != 0)
                {
                    k += run;
                    block[zigZag[k]] = (short)(Extend(Take(s), s) << _al);
                }
                else if (run == 15)
                {
                    k += 15;
                }
                else
                {
                    _eobRun = 1 << run;
                    if (run != 0) _eobRun += Take(run);
                    _eobRun--;
                    break;
                }
            }
        }
        return true;
    }

    private bool AcRefine(JpegComponent c, short* block)
    {
        int plus = 1 << _al, minus = -1 << _al;
        int k = _ss;
        fixed (byte* zigZag = JpegConstants.ZigZagToNatural)
        {
            if (_eobRun == 0)
            {
                HuffmanTable table = _acTables[c.AcTable]!;
                for (; k <= _se; k++)
                {
                    int rs = Symbol(table);
                    if (rs < 0) return false;
                    int run = rs >> 4, s = rs & 15, value = 0;
                    if (s != 0)
                    {
                        // A newly nonzero coefficient is always ±1 at this bit position (s should be 1).
                        value = Take(1) != 0 ? plus : minus;
                    }
                    else if (run != 15)
                    {
                        _eobRun = 1 << run;
                        if (run != 0) _eobRun += Take(run);
                        break; // the rest of the band is handled by the end-of-band code below
                    }

                    // Skip `run` zero coefficients, appending a correction bit to each nonzero one passed.
                    do
                    {
                        short* coef = block + zigZag[k];
                        if (*coef != 0)
                        {
                            Correct(coef, plus, minus);
                        }
                        else if (--run < 0)
                        {
                            break;
                        }
                        k++;
                    }
                    while (k <= _se);

                    if (s != 0) block[zigZag[k]] = (short)value;
                }
            }

            if (_eobRun > 0)
            {
                // Inside an end-of-band run: only correction bits for the coefficients already nonzero.
                for (; k <= _se; k++)
                {
                    short* coef = block + zigZag[k];
                    if (*coef != 0) Correct(coef, plus, minus);
                }
                _eobRun--;
            }
        }
        return true;
    }

    /// <summary>Reads a correction bit; when set, moves the coefficient one step away from zero at this bit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Correct(short* coef, int plus, int minus)
    {
        if (Take(1) != 0 && (*coef & plus) == 0)
            *coef += (short)(*coef >= 0 ? plus : minus);
    }

    /// <summary>Decodes one Huffman symbol, or returns -1 for an invalid code.</summary>
    private int Symbol(HuffmanTable table)
    {
        Ensure();
        int entry = table.Lookup[(int)(_reader.Bits >> (64 - HuffmanTable.LookaheadBits))];
        if (entry == 0)
        {
            entry = DecodeLong(table, _reader.Bits);
            if (entry < 0) return -1;
        }
        int length = entry >> 8;
        _reader.Bits <<= length;
        _reader.Count -= length;
        return entry & 0xFF;
    }

    /// <summary>Reads <paramref name="n"/> (1–16) raw bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Take(int n)
    {
        Ensure();
        int v = (int)(_reader.Bits >> (64 - n));
        _reader.Bits <<= n;
        _reader.Count -= n;
        return v;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Ensure()
    {
        if (_reader.Count < 32) _reader.Refill();
    }
}
