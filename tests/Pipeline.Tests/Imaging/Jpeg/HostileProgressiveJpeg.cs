namespace Pipeline.Tests.Imaging.Jpeg;

/// <summary>
/// Builds the smallest progressive grayscale JPEGs that make the decoder visit many blocks for few bytes: an
/// optional DC first scan of all-zero differences (one bit per block) followed by AC scans made only of end-of-band
/// runs. The AC table has a single one-bit code meaning EOBRUN with 14 extra bits, so 15 bits cover 32,767 blocks.
/// </summary>
internal static class HostileProgressiveJpeg
{
    /// <param name="width">Image width (blocks are 8x8, one component).</param>
    /// <param name="height">Image height.</param>
    /// <param name="withDcScan">Start with a DC first scan (needed before refinement makes sense to a reader).</param>
    /// <param name="acScans">How many AC scans (coefficients 1-63) follow.</param>
    /// <param name="refine">Refinement scans (Ah=1, Al=0) rather than first scans (Ah=0, Al=0).</param>
    public static byte[] Build(int width, int height, bool withDcScan, int acScans, bool refine)
    {
        int blocks = ((width + 7) / 8) * ((height + 7) / 8);
        var file = new List<byte> { 0xFF, 0xD8 };
        Segment(file, 0xDB, [0x00, .. Enumerable.Repeat((byte)1, 64)]);
        Segment(file, 0xC2, [8, (byte)(height >> 8), (byte)height, (byte)(width >> 8), (byte)width, 1, 1, 0x11, 0]);
        Segment(file, 0xC4, [0x00, 1, .. new byte[15], 0x00]); // DC table 0: code "0" = difference category 0
        Segment(file, 0xC4, [0x10, 1, .. new byte[15], 0xE0]); // AC table 0: code "0" = EOBRUN, 14 more bits
        if (withDcScan)
        {
            Segment(file, 0xDA, [1, 1, 0x00, 0, 0, 0x00]);
            file.AddRange(new byte[(blocks + 7) / 8]); // a zero bit per block: no DC difference
        }
        for (int scan = 0; scan < acScans; scan++)
        {
            Segment(file, 0xDA, [1, 1, 0x00, 1, 63, refine ? (byte)0x10 : (byte)0x00]);
            var bits = new BitWriter(file);
            for (int left = blocks; left > 0; left -= 32767)
            {
                bits.Write(0, 1);          // the EOBRUN code
                bits.Write(0x3FFF, 14);    // run = 2^14 + 0x3FFF = 32,767 blocks
            }
            bits.Flush();
        }
        file.AddRange([0xFF, 0xD9]);
        return [.. file];
    }

    private static void Segment(List<byte> file, byte marker, byte[] payload)
    {
        int length = payload.Length + 2;
        file.AddRange([0xFF, marker, (byte)(length >> 8), (byte)length]);
        file.AddRange(payload);
    }

    /// <summary>MSB-first bits with JPEG's byte stuffing (0xFF is followed by 0x00), padded with ones.</summary>
    private sealed class BitWriter(List<byte> output)
    {
        private int _accumulator, _count;

        public void Write(int value, int bits)
        {
            for (int i = bits - 1; i >= 0; i--)
            {
                _accumulator = (_accumulator << 1) | ((value >> i) & 1);
                if (++_count < 8) continue;
                output.Add((byte)_accumulator);
                if (_accumulator == 0xFF) output.Add(0);
                _accumulator = _count = 0;
            }
        }

        public void Flush()
        {
            while (_count != 0) Write(1, 1);
        }
    }
}
