using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Pipeline.Imaging.Processing;

namespace Pipeline.Imaging.Jpeg;

/// <summary>
/// The JPEG decoder proper: reads markers (strict about structure, lenient with optional data, as libjpeg is),
/// sets up the frame and its output geometry, runs each scan through <see cref="HuffmanScanDecoder"/> and assembles
/// RGB rows with <see cref="JpegRowAssembler"/>. A single-scan sequential image streams MCU rows straight to pixels;
/// progressive and multi-scan images keep all coefficients and are transformed after the last scan.
/// One instance decodes one image; the input is pinned for its lifetime.
/// </summary>
internal sealed unsafe class JpegDecoderCore
{
    private readonly byte* _data;
    private readonly int _length;
    private readonly DecoderOptions _options;
    private readonly int _requestedScale;
    private readonly HuffmanScanDecoder _scanDecoder;

    // Tables, as defined so far.
    private readonly int[]?[] _quantTables = new int[]?[4];
    private readonly HuffmanTable?[] _dcTables = new HuffmanTable?[4];
    private readonly HuffmanTable?[] _acTables = new HuffmanTable?[4];
    private readonly string?[] _dcTableErrors = new string?[4];
    private readonly string?[] _acTableErrors = new string?[4];
    private int _restartInterval;

    // Optional markers.
    private bool _sawJfif;
    private bool _sawAdobe;
    private int _adobeTransform;
    private int _orientation;

    // Frame.
    private bool _sawFrame;
    private bool _progressive;
    private int _width, _height;
    private JpegComponent[] _components = [];
    private int _maxH, _maxV, _mcusX, _mcusY;

    // Output.
    private bool _outputReady;
    private bool _streaming;
    private int _scans;
    private long _totalBlocks;
    private long _blockVisits;
    private bool _sawEoi;
    private int _outWidth, _outHeight;
    private JpegColorSpace _colorSpace;
    private byte[]? _pixels;
    private byte* _pixelBase;
    private JpegRowAssembler? _rows;

    /// <summary>Prepares to decode <paramref name="length"/> bytes at <paramref name="data"/> (pinned by the caller).</summary>
    /// <param name="data">The file's bytes.</param>
    /// <param name="length">Their count.</param>
    /// <param name="options">Limits, orientation, partial decoding and the size the caller needs.</param>
    /// <param name="scaleDenominator">1, 2, 4 or 8 to force a DCT scale; 0 to choose it from the options.</param>
    public JpegDecoderCore(byte* data, int length, DecoderOptions options, int scaleDenominator)
    {
        _data = data;
        _length = length;
        _options = options;
        _requestedScale = scaleDenominator;
        _scanDecoder = new HuffmanScanDecoder(data, length, options.AllowPartial);
    }

    /// <summary>The DCT scale denominator used (1, 2, 4 or 8), known once the first scan started.</summary>
    public int ScaleDenominator { get; private set; } = 1;

    /// <summary>Decodes the image (oriented when the options say so); pooled buffers go back to the pool whatever happens.</summary>
    public Image Decode()
    {
        try
        {
            return DecodeImage();
        }
        finally
        {
            foreach (JpegComponent? c in _components) c?.ReturnCoefficients(); // a bad frame header leaves gaps
        }
    }

    private Image DecodeImage()
    {
        if (_length < 2 || _data[0] != 0xFF || _data[1] != JpegConstants.Soi)
            JpegThrowHelper.Invalid(0, "the data does not start with an SOI marker");

        int pos = 2;
        bool stop = false;
        while (!stop)
        {
            int marker = NextMarker(ref pos);
            if (marker < 0) break;
            int markerAt = pos;
            pos += 2;
            if (_scans > 0 && _options.AllowPartial && !SegmentFits(pos, marker)) break; // keep what was decoded
            switch (marker)
            {
                case JpegConstants.Sof0:
                case JpegConstants.Sof1:
                case JpegConstants.Sof2:
                    pos = ReadFrame(pos, markerAt, (byte)marker);
                    break;
                case JpegConstants.Sof3:
                    JpegThrowHelper.Unsupported(markerAt, "lossless JPEG (SOF3)");
                    break;
                case >= 0xC5 and <= JpegConstants.Sof7:
                    JpegThrowHelper.Unsupported(markerAt, $"hierarchical (differential) JPEG (SOF{marker - JpegConstants.Sof0})");
                    break;
                case JpegConstants.Jpg:
                    JpegThrowHelper.Unsupported(markerAt, "JPEG extension frame (JPG marker)");
                    break;
                case >= JpegConstants.Sof9 and <= JpegConstants.Sof15 when marker != JpegConstants.Dac:
                    JpegThrowHelper.Unsupported(markerAt, $"arithmetic coding (SOF{marker - JpegConstants.Sof0})");
                    break;
                case JpegConstants.Dht:
                    pos = ReadHuffmanTables(pos);
                    break;
                case JpegConstants.Dqt:
                    pos = ReadQuantizationTables(pos);
                    break;
                case JpegConstants.Dri:
                    pos = ReadRestartInterval(pos);
                    break;
                case JpegConstants.Sos:
                    pos = ReadScan(pos, markerAt, out stop);
                    break;
                case JpegConstants.Eoi:
                    _sawEoi = true;
                    stop = true;
                    break;
                case JpegConstants.Soi:
                    JpegThrowHelper.Invalid(markerAt, "a second SOI marker");
                    break;
                case >= JpegConstants.App0 and <= JpegConstants.App15:
                    pos = ReadApplicationSegment(pos, (byte)marker);
                    break;
                case JpegConstants.Com:
                case JpegConstants.Dnl:
                case JpegConstants.Dac:
                    pos += SegmentLength(pos, (byte)marker);
                    break;
                case >= JpegConstants.Rst0 and <= JpegConstants.Rst7:
                case JpegConstants.Tem:
                    break; // stray, parameterless: ignored as libjpeg does
                default:
                    JpegThrowHelper.Invalid(markerAt, $"unknown marker 0xFF{marker:X2}");
                    break;
            }
        }

        if (!_sawFrame)
        {
            if (_sawEoi) JpegThrowHelper.Invalid(pos, "EOI before any frame header (SOF)");
            JpegThrowHelper.Truncated(_length, "before the frame header (SOF)");
        }
        if (_scans == 0)
        {
            if (_sawEoi) JpegThrowHelper.Invalid(pos, "EOI before any scan (SOS)");
            JpegThrowHelper.Truncated(_length, "before the first scan (SOS)");
        }
        if (!_streaming)
        {
            if (!_sawEoi && !_scanDecoder.Exhausted && !AllCoefficientsComplete() && !_options.AllowPartial)
                JpegThrowHelper.Truncated(_length, "before the last scan");
            TransformCoefficients();
        }

        var image = new Image(_outWidth, _outHeight, PixelFormat.Rgb24, _pixels!);
        if (_options.ApplyExifOrientation && _orientation > 1) image = Orientation.Apply(image, _orientation);
        return image;
    }

    /// <summary>
    /// Moves <paramref name="pos"/> to the next marker's 0xFF, skipping stray bytes and fill bytes as libjpeg's
    /// next_marker does; returns the marker code, or -1 at the end of the data.
    /// </summary>
    private int NextMarker(ref int pos)
    {
        while (true)
        {
            while (pos < _length && _data[pos] != 0xFF) pos++;
            while (pos + 1 < _length && _data[pos + 1] == 0xFF) pos++;
            if (pos + 1 >= _length)
            {
                pos = _length;
                return -1;
            }
            byte marker = _data[pos + 1];
            if (marker != 0) return marker;
            pos += 2; // a stuffed zero outside entropy data: garbage
        }
    }

    /// <summary>False when a marker that has a length runs past the end of the data.</summary>
    private bool SegmentFits(int pos, int marker)
    {
        bool parameterless = marker is JpegConstants.Eoi or JpegConstants.Tem or (>= JpegConstants.Rst0 and <= JpegConstants.Rst7);
        if (parameterless) return true;
        return pos + 2 <= _length && pos + ((_data[pos] << 8) | _data[pos + 1]) <= _length;
    }

    /// <summary>The big-endian length of the segment starting at <paramref name="pos"/>, checked to fit in the data.</summary>
    private int SegmentLength(int pos, byte marker)
    {
        string name = JpegThrowHelper.MarkerName(marker);
        if (pos + 2 > _length) JpegThrowHelper.Truncated(pos, $"in the {name} segment's length");
        int length = BinaryPrimitives.ReadUInt16BigEndian(new ReadOnlySpan<byte>(_data + pos, 2));
        if (length < 2) JpegThrowHelper.BadSegmentLength(pos, name, length);
        if (pos + length > _length) JpegThrowHelper.Truncated(pos, $"in the {name} segment");
        return length;
    }

    private ReadOnlySpan<byte> Payload(int pos, int length) => new(_data + pos + 2, length - 2);

    private int ReadApplicationSegment(int pos, byte marker)
    {
        int length = SegmentLength(pos, marker);
        ReadOnlySpan<byte> payload = Payload(pos, length);
        switch (marker)
        {
            case JpegConstants.App0 when payload.Length >= 14 && payload.StartsWith("JFIF\0"u8):
                _sawJfif = true;
                break;
            case JpegConstants.App1 when _orientation == 0:
                _orientation = ExifOrientationReader.Read(payload);
                break;
            case JpegConstants.App14 when payload.Length >= 12 && payload.StartsWith("Adobe"u8):
                _sawAdobe = true;
                _adobeTransform = payload[11];
                break;
        }
        return pos + length;
    }

    private int ReadQuantizationTables(int pos)
    {
        int length = SegmentLength(pos, JpegConstants.Dqt);
        int p = pos + 2, end = pos + length;
        while (p < end)
        {
            int spec = _data[p++];
            int precision = spec >> 4, index = spec & 15;
            if (index > 3) JpegThrowHelper.Invalid(p - 1, $"DQT defines table {index} (tables are 0-3)");
            int needed = precision != 0 ? 128 : 64;
            if (end - p < needed) JpegThrowHelper.BadSegmentLength(pos, "DQT", length);
            int[] table = new int[64];
            ReadOnlySpan<byte> zigZag = JpegConstants.ZigZagToNatural;
            for (int i = 0; i < 64; i++)
                table[zigZag[i]] = precision != 0 ? (_data[p + 2 * i] << 8) | _data[p + 2 * i + 1] : _data[p + i];
            _quantTables[index] = table;
            p += needed;
        }
        return end;
    }

    private int ReadHuffmanTables(int pos)
    {
        int length = SegmentLength(pos, JpegConstants.Dht);
        int p = pos + 2, end = pos + length;
        while (end - p > 16)
        {
            int spec = _data[p];
            var counts = new ReadOnlySpan<byte>(_data + p + 1, 16);
            int total = 0;
            foreach (byte n in counts) total += n;
            if (total > 256 || total > end - p - 17)
                JpegThrowHelper.Invalid(p, $"DHT table 0x{spec:X2} declares {total} codes, more than {(total > 256 ? "256" : "the segment holds")}");
            int tableClass = spec >> 4, index = spec & 15;
            if (tableClass > 1 || index > 3) JpegThrowHelper.Invalid(p, $"DHT defines table 0x{spec:X2} (class 0-1, index 0-3)");
            var values = new ReadOnlySpan<byte>(_data + p + 17, total);
            bool isDc = tableClass == 0;
            HuffmanTable? table = HuffmanTable.TryBuild(counts, values, isDc, out string? error);
            if (isDc)
            {
                _dcTables[index] = table;
                _dcTableErrors[index] = error;
            }
            else
            {
                _acTables[index] = table;
                _acTableErrors[index] = error;
            }
            p += 17 + total;
        }
        if (p != end) JpegThrowHelper.BadSegmentLength(pos, "DHT", length);
        return end;
    }

    private int ReadRestartInterval(int pos)
    {
        int length = SegmentLength(pos, JpegConstants.Dri);
        if (length != 4) JpegThrowHelper.BadSegmentLength(pos, "DRI", length);
        _restartInterval = BinaryPrimitives.ReadUInt16BigEndian(new ReadOnlySpan<byte>(_data + pos + 2, 2));
        return pos + length;
    }

    private int ReadFrame(int pos, int markerAt, byte marker)
    {
        if (_sawFrame) JpegThrowHelper.Invalid(markerAt, "a second frame header (SOF)");
        int length = SegmentLength(pos, marker);
        if (length < 8) JpegThrowHelper.BadSegmentLength(pos, "SOF", length);
        byte* p = _data + pos + 2;
        int precision = p[0];
        if (precision == 12) JpegThrowHelper.Unsupported(pos + 2, "12-bit precision");
        if (precision != 8) JpegThrowHelper.Invalid(pos + 2, $"sample precision {precision} (JPEG allows 8 or 12 bits)");
        _height = (p[1] << 8) | p[2];
        _width = (p[3] << 8) | p[4];
        int count = p[5];
        if (_height == 0) JpegThrowHelper.Unsupported(pos + 3, "image height 0 (height defined later by a DNL marker)");
        if (_width == 0) JpegThrowHelper.Invalid(pos + 5, "image width 0");
        if (_width > JpegConstants.MaxDimension || _height > JpegConstants.MaxDimension)
            JpegThrowHelper.Invalid(pos + 3, $"image is {_width}x{_height}; JPEG decoders accept at most {JpegConstants.MaxDimension} per side");
        if (count == 0) JpegThrowHelper.Invalid(pos + 7, "frame has no components");
        if (length != 8 + 3 * count) JpegThrowHelper.BadSegmentLength(pos, "SOF", length);
        if (count is not (1 or 3 or 4)) JpegThrowHelper.Unsupported(pos + 7, $"{count} color components (1, 3 or 4 are supported)");
        long pixels = (long)_width * _height;
        if (pixels > _options.MaxPixels)
            JpegThrowHelper.Invalid(pos + 3, $"image is {_width}x{_height} = {pixels} pixels, over the limit of {_options.MaxPixels} (DecoderOptions.MaxPixels)");

        _progressive = marker == JpegConstants.Sof2;
        _components = new JpegComponent[count];
        _maxH = _maxV = 1;
        for (int i = 0; i < count; i++)
        {
            byte* c = p + 6 + 3 * i;
            int h = c[1] >> 4, v = c[1] & 15;
            if (h is < 1 or > 4 || v is < 1 or > 4)
                JpegThrowHelper.Invalid(pos + 9 + 3 * i, $"component {c[0]} has sampling factors {h}x{v} (each must be 1-4)");
            if (c[2] > 3) JpegThrowHelper.Invalid(pos + 10 + 3 * i, $"component {c[0]} uses quantization table {c[2]} (tables are 0-3)");
            if (count == 1) h = v = 1; // one component: its MCU is one block whatever the header says
            _components[i] = new JpegComponent { Index = i, Id = c[0], H = h, V = v, QuantTableIndex = c[2] };
            _maxH = Math.Max(_maxH, h);
            _maxV = Math.Max(_maxV, v);
        }
        foreach (JpegComponent c in _components)
        {
            if (_maxH % c.H != 0 || _maxV % c.V != 0)
                JpegThrowHelper.Unsupported(pos + 8, $"component {c.Id} sampling {c.H}x{c.V} is not an integral fraction of {_maxH}x{_maxV}");
            c.WidthInBlocks = DivCeil(_width * c.H, 8 * _maxH);
            c.HeightInBlocks = DivCeil(_height * c.V, 8 * _maxV);
        }
        _mcusX = DivCeil(_width, 8 * _maxH);
        _mcusY = DivCeil(_height, 8 * _maxV);
        foreach (JpegComponent c in _components)
        {
            c.BlocksPerLine = _mcusX * c.H;
            c.BlockRows = _mcusY * c.V;
        }
        _sawFrame = true;
        return pos + length;
    }

    private int ReadScan(int pos, int markerAt, out bool stop)
    {
        stop = false;
        if (!_sawFrame) JpegThrowHelper.Invalid(markerAt, "a scan (SOS) before the frame header (SOF)");
        int length = SegmentLength(pos, JpegConstants.Sos);
        byte* p = _data + pos + 2;
        int count = p[0];
        if (count is < 1 or > JpegConstants.MaxComponentsInScan || length != 6 + 2 * count)
            JpegThrowHelper.BadSegmentLength(pos, "SOS", length);

        var scanComponents = new JpegComponent[count];
        for (int i = 0; i < count; i++)
        {
            int id = p[1 + 2 * i], tables = p[2 + 2 * i];
            JpegComponent? found = null;
            foreach (JpegComponent c in _components)
            {
                if (c.Id == id && Array.IndexOf(scanComponents, c, 0, i) < 0)
                {
                    found = c;
                    break;
                }
            }
            if (found is null) JpegThrowHelper.Invalid(pos + 3 + 2 * i, $"the scan names component {id}, which the frame does not have (or names it twice)");
            found.DcTable = tables >> 4;
            found.AcTable = tables & 15;
            scanComponents[i] = found;
        }
        int ss = p[1 + 2 * count], se = p[2 + 2 * count];
        int ah = p[3 + 2 * count] >> 4, al = p[3 + 2 * count] & 15;
        int dataStart = pos + length;

        // Blocks per MCU: one in a single-component scan, every component's H·V when interleaved.
        int blocksPerMcu = 1;
        if (count > 1)
        {
            blocksPerMcu = 0;
            foreach (JpegComponent c in scanComponents) blocksPerMcu += c.H * c.V;
            if (blocksPerMcu > JpegConstants.MaxBlocksInMcu)
                JpegThrowHelper.Invalid(pos, $"the scan's MCU has {blocksPerMcu} blocks (at most {JpegConstants.MaxBlocksInMcu} allowed)");
        }

        bool needDc, needAc;
        if (_progressive)
        {
            bool bad = ss == 0 ? se != 0 : ss > se || se > 63 || count != 1;
            if (ah != 0 && al != ah - 1) bad = true;
            if (al > 13) bad = true;
            if (bad) JpegThrowHelper.Invalid(pos, $"bad progressive scan parameters Ss={ss} Se={se} Ah={ah} Al={al}");
            needDc = ss == 0 && ah == 0;
            needAc = ss != 0;
        }
        else
        {
            needDc = needAc = true; // Ss/Se/Ah/Al are meaningless in sequential scans; libjpeg ignores them too
        }

        var dcTables = new HuffmanTable?[4];
        var acTables = new HuffmanTable?[4];
        foreach (JpegComponent c in scanComponents)
        {
            if (needDc) dcTables[c.DcTable] = ResolveTable(c.DcTable, isDc: true, c.Id, pos);
            if (needAc) acTables[c.AcTable] = ResolveTable(c.AcTable, isDc: false, c.Id, pos);
            if (c.Quant is null)
            {
                // Latch the table now, as libjpeg does: a later DQT must not change this component.
                int[]? table = _quantTables[c.QuantTableIndex];
                if (table is null)
                    JpegThrowHelper.Invalid(pos, $"component {c.Id} uses quantization table {c.QuantTableIndex}, which no DQT defined");
                c.Quant = JpegComponent.AllocatePinned(64, out c.QuantBase);
                table.CopyTo(c.Quant, 0);
            }
        }

        // Two limits on the work scans cause: the count (each scan's fixed costs: headers, tables) and the block visits
        // (64 passes over the image's blocks, plus an allowance). Past either, a partial decode keeps the earlier scans.
        string? refusal = null;
        if (_scans == JpegConstants.MaxScans)
            refusal = $"more than {JpegConstants.MaxScans} scans; refusing a file whose decoding time would be unbounded";
        else
        {
            if (!_outputReady) PrepareOutput(count, dataStart);
            (int columns, int rows) = HuffmanScanDecoder.McuGrid(scanComponents, _mcusX, _mcusY);
            _blockVisits += (long)columns * rows * blocksPerMcu;
            long visitBudget = JpegConstants.MaxScanPasses * _totalBlocks + JpegConstants.ScanVisitAllowance;
            if (_blockVisits > visitBudget)
                refusal = $"scan {_scans + 1} brings the scans' work to {_blockVisits} block visits, over the budget of {visitBudget} " +
                    $"({JpegConstants.MaxScanPasses} passes over the image's {_totalBlocks} blocks); refusing a file whose decoding time would be unbounded";
        }
        if (refusal is not null)
        {
            if (_options.AllowPartial)
            {
                stop = true; // keep what the earlier scans decoded
                return markerAt;
            }
            JpegThrowHelper.Invalid(markerAt, refusal);
        }
        _scans++;
        _scanDecoder.BeginScan(dataStart, scanComponents, dcTables, acTables, _restartInterval, ss, se, ah, al);

        if (_streaming)
        {
            _scanDecoder.DecodeSequentialToRows(_mcusX, _mcusY, _rows!);
            _rows!.Finish();
            stop = true; // everything is decoded; anything after the scan is irrelevant
            return _scanDecoder.Position;
        }
        if (_progressive)
        {
            foreach (JpegComponent c in scanComponents)
                for (int k = ss; k <= se; k++) c.CoefficientBits[k] = al;
            _scanDecoder.DecodeProgressive(_mcusX, _mcusY);
        }
        else
        {
            _scanDecoder.DecodeSequentialToCoefficients(_mcusX, _mcusY);
        }
        if (_scanDecoder.Exhausted)
        {
            stop = true;
            return _scanDecoder.Position;
        }
        return _scanDecoder.FinishScan();
    }

    /// <summary>The table a scan selects, the T.81 K.3 default when none was defined (0 and 1 only), or an error.</summary>
    private HuffmanTable ResolveTable(int index, bool isDc, int componentId, int pos)
    {
        string kind = isDc ? "DC" : "AC";
        if (index > 3) JpegThrowHelper.Invalid(pos, $"component {componentId} selects {kind} Huffman table {index} (tables are 0-3)");
        HuffmanTable?[] tables = isDc ? _dcTables : _acTables;
        string? error = (isDc ? _dcTableErrors : _acTableErrors)[index];
        if (error is not null) JpegThrowHelper.Invalid(pos, error);
        if (tables[index] is null && index < 2)
        {
            tables[index] = (isDc, index) switch
            {
                (true, 0) => HuffmanTable.TryBuild(JpegConstants.StandardDcLuminanceCounts, JpegConstants.StandardDcLuminanceValues, true, out _),
                (true, _) => HuffmanTable.TryBuild(JpegConstants.StandardDcChrominanceCounts, JpegConstants.StandardDcChrominanceValues, true, out _),
                (false, 0) => HuffmanTable.TryBuild(JpegConstants.StandardAcLuminanceCounts, JpegConstants.StandardAcLuminanceValues, false, out _),
                _ => HuffmanTable.TryBuild(JpegConstants.StandardAcChrominanceCounts, JpegConstants.StandardAcChrominanceValues, false, out _),
            };
        }
        HuffmanTable? table = tables[index];
        if (table is null) JpegThrowHelper.Invalid(pos, $"component {componentId} uses {kind} Huffman table {index}, which no DHT defined");
        return table;
    }

    /// <summary>
    /// Chooses the color space and the DCT scale, sizes every component at that scale (libjpeg's per-component
    /// scaling, upsampling method and downsampled size), and allocates the image, the strips and the coefficients.
    /// </summary>
    private void PrepareOutput(int firstScanComponents, int dataStart)
    {
        _outputReady = true;
        _streaming = !_progressive && firstScanComponents == _components.Length;
        _colorSpace = ChooseColorSpace();

        long totalBlocks = 0;
        foreach (JpegComponent c in _components) totalBlocks += (long)c.BlocksPerLine * c.BlockRows;
        _totalBlocks = totalBlocks;
        // Every block costs at least two bits in a sequential scan (a DC and an EOB code) and at least one in a
        // progressive DC scan, so a header promising more blocks than the rest of the file can hold is a truncated
        // (or hostile) file: refuse it before allocating for it. A partial decode may leave a bounded number of
        // blocks grey beyond that (see PartialDecodeGreyBlocks), not an unbounded one.
        long blocksHeld = 8L * (_length - dataStart) / (_progressive ? 1 : 2);
        if (totalBlocks > blocksHeld)
        {
            string what = $"{_length - dataStart} bytes of scan data cannot hold the {totalBlocks} blocks of a {_width}x{_height} image";
            if (!_options.AllowPartial) JpegThrowHelper.Truncated(_length, what);
            if (totalBlocks - blocksHeld > JpegConstants.PartialDecodeGreyBlocks)
                JpegThrowHelper.Invalid(_length, $"the file is truncated ({what}); even a partial decode may leave at most " +
                    $"{JpegConstants.PartialDecodeGreyBlocks} blocks beyond what the data holds grey, and this one would leave {totalBlocks - blocksHeld}");
        }

        int denominator = _requestedScale > 0 ? _requestedScale : ChooseScale();
        ScaleDenominator = denominator;
        int minSize = 8 / denominator;
        _outWidth = DivCeil(_width * minSize, 8);
        _outHeight = DivCeil(_height * minSize, 8);
        bool fancy = minSize > 1; // libjpeg has no context rows when the scaled block is one pixel

        try
        {
            foreach (JpegComponent c in _components)
            {
                // Scale chroma up in the DCT rather than by upsampling, when the ratios allow (jdmaster.c).
                int size = minSize;
                while (size < 8 && (_maxH * minSize) % (c.H * size * 2) == 0 && (_maxV * minSize) % (c.V * size * 2) == 0)
                    size *= 2;
                c.ScaledSize = size;
                c.DownsampledWidth = DivCeil(_width * c.H * size, _maxH * 8);
                c.DownsampledHeight = DivCeil(_height * c.V * size, _maxV * 8);
                int hIn = c.H * size / minSize, vIn = c.V * size / minSize;
                c.HExpand = _maxH / hIn;
                c.VExpand = _maxV / vIn;
                c.Upsample = (c.HExpand, c.VExpand) switch
                {
                    (1, 1) => UpsampleMethod.None,
                    (2, 1) when fancy && c.DownsampledWidth > 2 => UpsampleMethod.FancyH2V1,
                    (1, 2) when fancy => UpsampleMethod.FancyH1V2,
                    (2, 2) when fancy && c.DownsampledWidth > 2 => UpsampleMethod.FancyH2V2,
                    _ => UpsampleMethod.Replicate,
                };
                c.StripRows = c.V * size;
                c.RingRows = 3 * c.StripRows;
                c.RingStride = (c.BlocksPerLine * size + 32 + 31) & ~31;
                c.Ring = JpegComponent.AllocatePinned((int)checked((long)c.RingRows * c.RingStride), out c.RingBase);
                int upsampleWidth = Math.Max(_outWidth, 2 * c.DownsampledWidth) + 32;
                c.UpsampleRow = JpegComponent.AllocatePinned(upsampleWidth, out c.UpsampleBase);
                if (!_streaming)
                    c.RentCoefficients(checked(c.BlocksPerLine * c.BlockRows * 64));
                if (_progressive)
                    c.RentNonzeroMasks(c.BlocksPerLine * c.BlockRows);
            }

            long bytes = (long)_outWidth * _outHeight * 3;
            if (bytes > Array.MaxLength) JpegThrowHelper.Invalid(0, $"a {_outWidth}x{_outHeight} RGB image does not fit in one array");
            _pixels = GC.AllocateUninitializedArray<byte>((int)bytes, pinned: true);
            fixed (byte* pixels = _pixels) _pixelBase = pixels;
        }
        catch (Exception e) when (e is OutOfMemoryException or OverflowException)
        {
            throw new InvalidImageException(null, ImageFormat.Jpeg, dataStart,
                $"not enough memory to decode a {_width}x{_height} image with {_components.Length} components", e);
        }
        _rows = new JpegRowAssembler(_components, _colorSpace, _outWidth, _outHeight, _pixelBase);
    }

    /// <summary>libjpeg's guess (jdapimin.c default_decompress_parms): JFIF, then Adobe's transform, then component ids.</summary>
    private JpegColorSpace ChooseColorSpace()
    {
        switch (_components.Length)
        {
            case 1:
                return JpegColorSpace.Grayscale;
            case 3:
                if (_sawJfif) return JpegColorSpace.YCbCr;
                if (_sawAdobe) return _adobeTransform == 0 ? JpegColorSpace.Rgb : JpegColorSpace.YCbCr;
                return _components[0].Id == 'R' && _components[1].Id == 'G' && _components[2].Id == 'B'
                    ? JpegColorSpace.Rgb
                    : JpegColorSpace.YCbCr;
            default:
                if (!_sawAdobe) return JpegColorSpace.Cmyk;
                return _adobeTransform == 0 ? JpegColorSpace.Cmyk : JpegColorSpace.Ycck;
        }
    }

    /// <summary>
    /// The smallest of 1/8, 1/4, 1/2 and 1 that keeps the output at least MinWidth × MinHeight (as oriented for
    /// display); full size when neither is set.
    /// </summary>
    private int ChooseScale()
    {
        int minWidth = _options.MinWidth, minHeight = _options.MinHeight;
        if (minWidth <= 0 && minHeight <= 0) return 1;
        if (_options.ApplyExifOrientation && _orientation >= 5) (minWidth, minHeight) = (minHeight, minWidth);
        foreach (int denominator in (ReadOnlySpan<int>)[8, 4, 2])
        {
            if (DivCeil(_width, denominator) >= minWidth && DivCeil(_height, denominator) >= minHeight) return denominator;
        }
        return 1;
    }

    private bool AllCoefficientsComplete()
    {
        foreach (JpegComponent c in _components)
        {
            if (_progressive)
            {
                foreach (int bits in c.CoefficientBits)
                {
                    if (bits != 0) return false;
                }
            }
            else if (!c.SequentialDone)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Multi-scan images: inverse DCT of every MCU row, then the rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // one call per image: skip the slow tiers and on-stack replacement
    private void TransformCoefficients()
    {
        JpegRowAssembler rows = _rows!;
        foreach (JpegComponent c in _components)
        {
            // A component no scan reached has no latched table; like libjpeg, transform it with zeros (grey).
            c.Quant ??= JpegComponent.AllocatePinned(64, out c.QuantBase);
        }
        for (int my = 0; my < _mcusY; my++)
        {
            foreach (JpegComponent c in _components)
            {
                int size = c.ScaledSize, stride = c.RingStride;
                for (int by = 0; by < c.V; by++)
                {
                    int blockRow = my * c.V + by;
                    byte* row = c.RingRow(blockRow * size);
                    short* block = c.CoefficientBase + (long)blockRow * c.BlocksPerLine * 64;
                    for (int bx = 0; bx < c.BlocksPerLine; bx++, block += 64)
                    {
                        if (HasOnlyDc(block)) JpegIdct.DcOnly(block, c.QuantBase, row + bx * size, stride, size);
                        else JpegIdct.Transform(block, c.QuantBase, row + bx * size, stride, size);
                    }
                }
            }
            rows.StripsReady(my + 1);
        }
        rows.Finish();
    }

    private static bool HasOnlyDc(short* block)
    {
        ulong any = ((ulong*)block)[0] & ~0xFFFFUL;
        for (int i = 1; i < 16; i++) any |= ((ulong*)block)[i];
        return any == 0;
    }

    private static int DivCeil(int a, int b) => (int)(((long)a + b - 1) / b);
}
