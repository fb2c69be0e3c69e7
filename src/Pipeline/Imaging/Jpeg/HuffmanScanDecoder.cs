using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Pipeline.Imaging.Jpeg;

/// <summary>
/// Decodes the entropy-coded segment of one scan (T.81 F.2 and G.2): walks its MCUs, handles restart markers,
/// and on truncated or corrupt data either throws or — when the caller allows partial images — stops decoding and
/// leaves the remaining blocks zero (grey). Sequential scans either go straight through the inverse DCT into the
/// row assembler (single-scan images) or into coefficient buffers; progressive scans always use the buffers.
/// </summary>
internal sealed unsafe partial class HuffmanScanDecoder
{
    private readonly byte* _data;
    private readonly int _length;
    private readonly bool _allowPartial;
    private JpegBitReader _reader;

    // The reader's side buffer, kept per thread so decoding many images does not allocate it again and again.
    [ThreadStatic]
    private static byte[]? t_buffer;
    private readonly byte[] _buffer;
    private readonly byte* _bufferBase;

    // Scan parameters.
    private JpegComponent[] _components = [];
    private HuffmanTable?[] _dcTables = [];
    private HuffmanTable?[] _acTables = [];
    private int _restartInterval;
    private int _ss, _se, _ah, _al;
    private int _eobRun;

    public HuffmanScanDecoder(byte* data, int length, bool allowPartial)
    {
        _data = data;
        _length = length;
        _allowPartial = allowPartial;
        _buffer = t_buffer ??= JpegComponent.AllocatePinned<byte>(JpegBitReader.BufferSize, out _);
        _bufferBase = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_buffer));
    }

    /// <summary>True once the data ran out or turned out corrupt (only when partial images are allowed).</summary>
    public bool Exhausted { get; private set; }

    /// <summary>Where the entropy-coded data of the last scan stopped: the following marker, or the end of the data.</summary>
    public int Position => _reader.MarkerPosition;

    /// <summary>Sets up a scan whose entropy-coded data starts at <paramref name="position"/>.</summary>
    public void BeginScan(int position, JpegComponent[] components, HuffmanTable?[] dcTables, HuffmanTable?[] acTables,
        int restartInterval, int ss, int se, int ah, int al)
    {
        _reader = new JpegBitReader(_data, _length, position, _bufferBase);
        _components = components;
        _dcTables = dcTables;
        _acTables = acTables;
        _restartInterval = restartInterval;
        _ss = ss;
        _se = se;
        _ah = ah;
        _al = al;
        _eobRun = 0;
        foreach (JpegComponent c in components) c.DcPredictor = 0;
    }

    /// <summary>
    /// The scan's MCU grid: interleaved scans cover the frame's padded MCU grid, a single-component scan covers
    /// only that component's blocks, one block per MCU.
    /// </summary>
    public static (int Columns, int Rows) McuGrid(JpegComponent[] scanComponents, int mcusX, int mcusY)
        => scanComponents.Length == 1
            ? (scanComponents[0].WidthInBlocks, scanComponents[0].HeightInBlocks)
            : (mcusX, mcusY);

    /// <summary>Reads the restart marker due before MCU <paramref name="mcu"/>, if one is due.</summary>
    private void RestartIfDue(int mcu)
    {
        if (_restartInterval == 0 || mcu == 0 || mcu % _restartInterval != 0 || Exhausted) return;
        int marker = _reader.FindMarker();
        if (marker is >= JpegConstants.Rst0 and <= JpegConstants.Rst7)
        {
            // Any RSTn is accepted: a wrong number still marks a clean boundary.
            _reader.Restart(_reader.MarkerPosition + 2);
            foreach (JpegComponent c in _components) c.DcPredictor = 0;
            _eobRun = 0;
            return;
        }
        Fail(_reader.MarkerPosition, marker < 0 ? "the data ended before a restart marker" : $"expected a restart marker, found {JpegThrowHelper.MarkerName((byte)marker)}");
    }

    /// <summary>Checks, after an MCU, that it did not read past the end of the data.</summary>
    private void CheckOverrun()
    {
        if (_reader.Overrun && !Exhausted)
        {
            Fail(_reader.MarkerPosition, _reader.EndedAtEndOfFile ? "the data ended inside a scan" : "the scan ended early at a marker");
        }
    }

    /// <summary>Truncated or corrupt data: throw, or stop decoding when partial images are allowed.</summary>
    private void Fail(long offset, string what)
    {
        if (_allowPartial)
        {
            Exhausted = true;
            return;
        }
        if (_reader.EndedAtEndOfFile || offset >= _length) JpegThrowHelper.Truncated(offset, what);
        JpegThrowHelper.CorruptEntropyData(offset, what);
    }

    /// <summary>After the scan: finds the next marker so parsing can continue there.</summary>
    public int FinishScan()
    {
        _reader.FindMarker();
        return _reader.MarkerPosition;
    }
}
