using System.Buffers.Binary;
using System.IO.Compression;

namespace Pipeline.Imaging.Png;

/// <summary>The PNG writer behind <see cref="PngEncoder"/>: signature, IHDR, IDAT chunks of at most 64 KiB, IEND.</summary>
internal static class PngEncoderCore
{
    private const int IdatChunkSize = 64 * 1024;

    /// <summary>Writes the whole file.</summary>
    public static void Write(Image image, Stream output, CompressionLevel compression)
    {
        output.Write(PngConstants.Signature);
        Span<byte> header = stackalloc byte[PngConstants.HeaderLength];
        BinaryPrimitives.WriteUInt32BigEndian(header, (uint)image.Width);
        BinaryPrimitives.WriteUInt32BigEndian(header[4..], (uint)image.Height);
        header[8] = 8; // bit depth
        header[9] = (byte)(image.Format == PixelFormat.Rgba32 ? PngColorType.TruecolorAlpha : PngColorType.Truecolor);
        header[10] = header[11] = header[12] = 0; // deflate, filter method 0, no interlace
        WriteChunk(output, PngConstants.Ihdr, header);

        using (var idat = new IdatStream(output))
        {
            using (var zlib = new ZLibStream(idat, compression, leaveOpen: true))
                WriteRows(image, zlib);
        }
        WriteChunk(output, PngConstants.Iend, []);
    }

    /// <summary>Writes one chunk: length, type, data, CRC over type and data.</summary>
    public static void WriteChunk(Stream output, uint type, ReadOnlySpan<byte> data)
    {
        Span<byte> field = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(field, (uint)data.Length);
        BinaryPrimitives.WriteUInt32BigEndian(field[4..], type);
        output.Write(field);
        output.Write(data);
        var crc = new System.IO.Hashing.Crc32();
        crc.Append(field[4..]);
        crc.Append(data);
        BinaryPrimitives.WriteUInt32BigEndian(field, crc.GetCurrentHashAsUInt32());
        output.Write(field[..4]);
    }

    // Each row goes out with the filter whose output has the smallest sum of |byte as signed|: a cheap estimate of
    // how well deflate will compress it.
    private static void WriteRows(Image image, Stream zlib)
    {
        int stride = image.Stride, bpp = image.BytesPerPixel;
        var prior = new byte[stride];
        var candidates = new byte[5][];
        for (int f = 0; f < 5; f++) candidates[f] = new byte[stride + 1];
        for (int y = 0; y < image.Height; y++)
        {
            ReadOnlySpan<byte> row = image.Pixels.AsSpan(y * stride, stride);
            int best = 0;
            long bestScore = long.MaxValue;
            for (int f = 0; f < 5; f++)
            {
                byte[] candidate = candidates[f];
                candidate[0] = (byte)f;
                Filter((byte)f, row, prior, candidate.AsSpan(1), bpp);
                long score = 0;
                foreach (byte b in candidate.AsSpan(1)) score += b < 128 ? b : 256 - b;
                if (score < bestScore) (best, bestScore) = (f, score);
            }
            zlib.Write(candidates[best]);
            row.CopyTo(prior);
        }
    }

    /// <summary>Applies filter <paramref name="filter"/> to <paramref name="row"/>: the inverse of <see cref="PngFilters"/>.</summary>
    public static void Filter(byte filter, ReadOnlySpan<byte> row, ReadOnlySpan<byte> prior, Span<byte> output, int bpp)
    {
        for (int i = 0; i < row.Length; i++)
        {
            int a = i >= bpp ? row[i - bpp] : 0, b = prior[i], c = i >= bpp ? prior[i - bpp] : 0;
            int predictor = filter switch
            {
                PngConstants.FilterSub => a,
                PngConstants.FilterUp => b,
                PngConstants.FilterAverage => (a + b) >> 1,
                PngConstants.FilterPaeth => PngFilters.PaethPredictor(a, b, c),
                _ => 0,
            };
            output[i] = (byte)(row[i] - predictor);
        }
    }

    // Collects zlib output and emits it as IDAT chunks of at most IdatChunkSize bytes.
    private sealed class IdatStream(Stream output) : Stream
    {
        private readonly byte[] _buffer = new byte[IdatChunkSize];
        private int _count;

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> data)
        {
            while (!data.IsEmpty)
            {
                int n = Math.Min(data.Length, _buffer.Length - _count);
                data[..n].CopyTo(_buffer.AsSpan(_count));
                _count += n;
                data = data[n..];
                if (_count == _buffer.Length) EmitChunk();
            }
        }

        // zlib flushes only at the end (Dispose); a Flush in between would only make small chunks.
        public override void Flush()
        {
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing && _count > 0) EmitChunk();
            base.Dispose(disposing);
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        private void EmitChunk()
        {
            WriteChunk(output, PngConstants.Idat, _buffer.AsSpan(0, _count));
            _count = 0;
        }
    }
}
