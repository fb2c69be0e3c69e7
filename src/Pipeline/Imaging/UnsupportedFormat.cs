namespace Pipeline.Imaging;

/// <summary>
/// Says why bytes the decoders do not recognise are not an image they read, naming the formats people most often
/// find in a folder of photos (an iPhone's HEIC, AVIF, TIFF and camera raw, JPEG XL, a web page saved by a failed
/// download), so an excluded file's reason tells the user what to convert instead of showing a hex dump.
/// </summary>
internal static class UnsupportedFormat
{
    /// <summary>The formats the decoders read, as the messages list them.</summary>
    public const string Supported = "JPEG, PNG, BMP, GIF or WebP";

    /// <summary>The file bytes the checks look at (a web page may start with a byte-order mark and blank lines).</summary>
    public const int HeadBytes = 64;

    /// <summary>
    /// The reason <paramref name="head"/> (a file's first bytes; <see cref="HeadBytes"/> are enough, more are ignored)
    /// cannot be decoded; call it only when <see cref="ImageDecoder.DetectFormat"/> found no format.
    /// </summary>
    public static string Reason(ReadOnlySpan<byte> head)
    {
        if (head.IsEmpty) return "the file is empty";
        head = head[..Math.Min(HeadBytes, head.Length)];
        string? known = Describe(head);
        return known ?? $"not a {Supported} image (starts with {Convert.ToHexString(head[..Math.Min(8, head.Length)])})";
    }

    private static string? Describe(ReadOnlySpan<byte> head)
    {
        if (head.Length >= 12 && head[4..8].SequenceEqual("ftyp"u8))
        {
            ReadOnlySpan<byte> brand = head[8..12];
            if (brand.SequenceEqual("avif"u8) || brand.SequenceEqual("avis"u8))
                return Unsupported("an AVIF image", "convert it to JPEG or PNG");
            if (brand.SequenceEqual("crx "u8)) return Unsupported("a Canon CR3 raw photo", "export it as JPEG");
            if (brand.SequenceEqual("heic"u8) || brand.SequenceEqual("heix"u8) || brand.SequenceEqual("hevc"u8)
                || brand.SequenceEqual("hevx"u8) || brand.SequenceEqual("heim"u8) || brand.SequenceEqual("heis"u8))
                return Unsupported("a HEIC image (as iPhones save photos)", "export or convert it to JPEG");
            if (brand.SequenceEqual("mif1"u8) || brand.SequenceEqual("msf1"u8))
            {
                // A generic HEIF brand: the compatible brands after the minor version say which codec.
                int size = (int)Math.Min(System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(head), (uint)head.Length);
                for (int at = 16; at + 4 <= size; at += 4)
                    if (head.Slice(at, 4).SequenceEqual("avif"u8)) return Unsupported("an AVIF image", "convert it to JPEG or PNG");
                return Unsupported("a HEIF image (HEIC, as iPhones save photos, or AVIF)", "export or convert it to JPEG");
            }
            return $"an ISO media file (brand '{Printable(brand)}'), such as a video, not an image";
        }
        if (head.StartsWith("II*\0"u8) || head.StartsWith("MM\0*"u8) || head.StartsWith("II+\0"u8) || head.StartsWith("MM\0+"u8))
            return Unsupported("a TIFF image (or a camera raw file, which is built on TIFF)", "convert it to PNG or JPEG");
        if (head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0x0A]) || head.StartsWith((ReadOnlySpan<byte>)[0, 0, 0, 0x0C, (byte)'J', (byte)'X', (byte)'L', (byte)' ']))
            return Unsupported("a JPEG XL image", "convert it to JPEG or PNG");
        if (head.StartsWith((ReadOnlySpan<byte>)[0, 0, 0, 0x0C, (byte)'j', (byte)'P', (byte)' ', (byte)' ']) || head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0x4F, 0xFF, 0x51]))
            return Unsupported("a JPEG 2000 image", "convert it to JPEG or PNG");
        if (head.StartsWith("8BPS"u8)) return Unsupported("a Photoshop document", "export it as PNG or JPEG");
        if (head.StartsWith("%PDF"u8)) return "a PDF document, not an image";
        if (head.StartsWith("PK\u0003\u0004"u8)) return "a zip archive, not an image (extract it first)";
        if (head.StartsWith("RIFF"u8) && head.Length >= 12 && !head[8..12].SequenceEqual("WEBP"u8))
            return $"a RIFF file of type '{Printable(head[8..Math.Min(12, head.Length)])}' (audio or video), not an image";
        return DescribeText(head);
    }

    private static string? DescribeText(ReadOnlySpan<byte> head)
    {
        if (head.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) head = head[3..];
        head = head.TrimStart(" \t\r\n"u8);
        if (head.IsEmpty || head[0] != (byte)'<') return null;
        if (StartsWithIgnoringCase(head, "<svg"u8)) return Unsupported("an SVG (vector) image", "render it to PNG");
        if (StartsWithIgnoringCase(head, "<!doctype html"u8) || StartsWithIgnoringCase(head, "<html"u8))
            return "an HTML page, not an image (a failed download saved under an image's name?)";
        if (StartsWithIgnoringCase(head, "<?xml"u8)) return "an XML file (an SVG image?), not an image the decoders read";
        return null;
    }

    private static bool StartsWithIgnoringCase(ReadOnlySpan<byte> text, ReadOnlySpan<byte> lowerPrefix)
    {
        if (text.Length < lowerPrefix.Length) return false;
        for (int i = 0; i < lowerPrefix.Length; i++)
            if ((byte)(text[i] is >= (byte)'A' and <= (byte)'Z' ? text[i] | 0x20 : text[i]) != lowerPrefix[i]) return false;
        return true;
    }

    private static string Unsupported(string what, string hint) => $"{what}, which is not supported: only {Supported} images are read ({hint})";

    private static string Printable(ReadOnlySpan<byte> bytes)
    {
        var chars = new char[bytes.Length];
        for (int i = 0; i < bytes.Length; i++) chars[i] = bytes[i] is >= 0x20 and < 0x7F ? (char)bytes[i] : '?';
        return new string(chars);
    }
}
