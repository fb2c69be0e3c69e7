namespace Pipeline.Tests.Imaging.Gif;

/// <summary>
/// A test-side GIF writer with its own LZW encoder, for layouts ImageMagick does not write: any minimum code size,
/// deferred clear (a full table kept until the end), tiny sub-blocks, GIF87a, local colour tables.
/// </summary>
internal static class GifFiles
{
    /// <summary>A one-frame GIF of <paramref name="indices"/> (row-major, width × height).</summary>
    public static byte[] Build(int width, int height, byte[] indices, (byte R, byte G, byte B)[] palette, int minCodeSize,
        bool deferredClear = false, int subBlockSize = 255, int transparentIndex = -1, bool localTable = false,
        string version = "GIF89a", bool interlaced = false, int screenWidth = 0, int screenHeight = 0, int left = 0, int top = 0)
    {
        var output = new List<byte>();
        output.AddRange(System.Text.Encoding.ASCII.GetBytes(version));
        int tableBits = 1;
        while (1 << tableBits < palette.Length) tableBits++;
        byte tableFlags = (byte)(0x80 | (tableBits - 1));
        Short(output, screenWidth == 0 ? width : screenWidth);
        Short(output, screenHeight == 0 ? height : screenHeight);
        output.Add(localTable ? (byte)0 : tableFlags);
        output.Add(0); // background index
        output.Add(0); // aspect ratio
        if (!localTable) Table(output, palette, tableBits);
        if (transparentIndex >= 0) output.AddRange(new byte[] { 0x21, 0xF9, 4, 1, 0, 0, (byte)transparentIndex, 0 });
        output.Add(0x2C);
        Short(output, left);
        Short(output, top);
        Short(output, width);
        Short(output, height);
        output.Add((byte)((localTable ? tableFlags : 0) | (interlaced ? 0x40 : 0)));
        if (localTable) Table(output, palette, tableBits);
        output.Add((byte)minCodeSize);
        byte[] stored = interlaced ? Interlace(indices, width, height) : indices;
        byte[] lzw = Lzw(stored, minCodeSize, deferredClear);
        for (int i = 0; i < lzw.Length; i += subBlockSize)
        {
            int n = Math.Min(subBlockSize, lzw.Length - i);
            output.Add((byte)n);
            output.AddRange(lzw.AsSpan(i, n).ToArray());
        }
        output.Add(0);
        output.Add(0x3B);
        return output.ToArray();
    }

    /// <summary>
    /// GIF LZW: variable-width codes from minCodeSize + 1 bits up to 12, a clear code first, the end code last.
    /// The code width follows the decoder's table (which lags the encoder's by one entry).
    /// </summary>
    public static byte[] Lzw(byte[] indices, int minCodeSize, bool deferredClear)
    {
        int clear = 1 << minCodeSize, end = clear + 1;
        var writer = new BitWriter();
        var table = new Dictionary<(int, byte), int>();
        int next = clear + 2;                     // encoder's next free code
        int decoderNext = clear + 2, width = minCodeSize + 1, sinceClear = 0;

        void Emit(int code)
        {
            writer.Write(code, width);
            if (code == clear)
            {
                decoderNext = clear + 2;
                width = minCodeSize + 1;
                sinceClear = 0;
                return;
            }
            // The decoder adds an entry for every code but the first after a clear.
            if (sinceClear++ > 0 && decoderNext < 4096)
            {
                decoderNext++;
                if (decoderNext == 1 << width && width < 12) width++;
            }
        }

        Emit(clear);
        if (indices.Length == 0)
        {
            Emit(end);
            return writer.ToArray();
        }
        int current = indices[0];
        for (int i = 1; i < indices.Length; i++)
        {
            byte c = indices[i];
            if (table.TryGetValue((current, c), out int code))
            {
                current = code;
                continue;
            }
            Emit(current);
            if (next < 4096)
            {
                table[(current, c)] = next++;
            }
            else if (!deferredClear)
            {
                Emit(clear);
                table.Clear();
                next = clear + 2;
            }
            current = c;
        }
        Emit(current);
        Emit(end);
        return writer.ToArray();
    }

    private static byte[] Interlace(byte[] indices, int width, int height)
    {
        var stored = new byte[indices.Length];
        int row = 0;
        foreach ((int start, int step) in new[] { (0, 8), (4, 8), (2, 4), (1, 2) })
            for (int y = start; y < height; y += step, row++)
                indices.AsSpan(y * width, width).CopyTo(stored.AsSpan(row * width));
        return stored;
    }

    private static void Short(List<byte> output, int value)
    {
        output.Add((byte)value);
        output.Add((byte)(value >> 8));
    }

    private static void Table(List<byte> output, (byte R, byte G, byte B)[] palette, int bits)
    {
        for (int i = 0; i < 1 << bits; i++)
        {
            (byte r, byte g, byte b) = i < palette.Length ? palette[i] : ((byte)0, (byte)0, (byte)0);
            output.Add(r);
            output.Add(g);
            output.Add(b);
        }
    }

    private sealed class BitWriter
    {
        private readonly List<byte> _bytes = [];
        private uint _bits;
        private int _count;

        public void Write(int code, int width)
        {
            _bits |= (uint)code << _count;
            _count += width;
            while (_count >= 8)
            {
                _bytes.Add((byte)_bits);
                _bits >>= 8;
                _count -= 8;
            }
        }

        public byte[] ToArray()
        {
            if (_count > 0) _bytes.Add((byte)_bits);
            return _bytes.ToArray();
        }
    }
}
