using Pipeline.Imaging;
using Pipeline.Imaging.Webp;
using Pipeline.Tests.Imaging.CodecTools;

namespace Pipeline.Tests.Imaging.Webp;

/// <summary>
/// Frames from the test-side <see cref="Vp8Writer"/> (1, 2, 4 and 8 token partitions, segment quantizer and filter
/// deltas, mode filter deltas, both loop filters, sharpness, random 16×16 and B_PRED modes and coefficients up to
/// DCT_CAT4) decode exactly as ImageMagick (libwebp) decodes them.
/// </summary>
public sealed class Vp8SyntheticTests
{
    public static TheoryData<int, int, int, int, bool, int, bool, bool> Cases() => new()
    {
        // width, height, log2 partitions, filter level, simple filter, sharpness, segments, segment data omitted
        { 48, 48, 0, 30, false, 0, true, true },
        { 56, 40, 1, 45, true, 0, true, true },
        { 40, 40, 0, 20, false, 0, false, false },
        { 40, 72, 1, 20, false, 0, false, false },
        { 70, 50, 2, 35, false, 3, true, false },
        { 33, 150, 3, 45, false, 6, true, false },
        { 100, 20, 3, 63, true, 0, true, false },
        { 64, 64, 2, 10, true, 7, false, false },
        { 50, 90, 3, 0, false, 0, true, false },
        { 17, 130, 2, 30, false, 2, false, false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void DecodesLikeImageMagick(int width, int height, int log2Partitions, int level, bool simple, int sharpness, bool segments, bool omitSegmentData)
    {
        Vp8TestFiles.RequireWebpImageMagick();
        int seed = width * 1000 + height + 7 * log2Partitions;
        byte[] file = Vp8Writer.BuildFile(new Vp8Writer.Settings(width, height, log2Partitions, level, simple, sharpness, segments, seed, QuantizerIndex: omitSegmentData ? 60 : 40, OmitSegmentData: omitSegmentData));
        string path = Path.Combine(TestPictures.Scratch("vp8-synthetic"), $"{width}x{height}-p{log2Partitions}-l{level}-{seed}.webp");
        File.WriteAllBytes(path, file);

        Image ours = Vp8Decoder.Decode(file, 20, BitConverter.ToInt32(file, 16), DecoderOptions.Default);

        Assert.Equal((width, height), (ours.Width, ours.Height));
        Vp8TestFiles.AssertSameRgb(Path.GetFileName(path), ours, Vp8TestFiles.ReferenceRgb(path));
    }

    /// <summary>A token partition whose size in the table runs past the chunk, or a table cut short, is refused.</summary>
    [Fact]
    public void PartitionSizesPastTheChunk()
    {
        byte[] file = Vp8Writer.BuildFile(new Vp8Writer.Settings(40, 72, 2, 20, false, 0, false, 5));
        int start = 20, length = BitConverter.ToInt32(file, 16);
        int firstSize = (file[start] | (file[start + 1] << 8) | (file[start + 2] << 16)) >> 5;
        int table = start + 10 + firstSize;

        byte[] oversized = (byte[])file.Clone();
        oversized[table + 3] = 0xFF; oversized[table + 4] = 0xFF; oversized[table + 5] = 0x0F; // partition 1
        var e = Assert.Throws<InvalidImageException>(() => Vp8Decoder.Decode(oversized, start, length, DecoderOptions.Default));
        Assert.Contains("token partition 1", e.Reason, StringComparison.Ordinal);
        Assert.Equal(table + 3, e.Offset);

        e = Assert.Throws<InvalidImageException>(() => Vp8Decoder.Decode(file, start, 10 + firstSize + 5, DecoderOptions.Default));
        Assert.Contains("sizes of the 4 token partitions", e.Reason, StringComparison.Ordinal);
    }
}
