using System.Buffers.Binary;
using System.IO.Compression;
using Pipeline.Imaging;
using Pipeline.Imaging.Png;

namespace Trainer.SampleData;

/// <summary>
/// The sample dataset in <c>data/shapes</c>: small procedurally drawn pictures of four classes, so that the main job
/// (train on a folder per class) runs on a fresh clone with no network and no pretrained weights.
/// <list type="bullet">
/// <item><c>circles</c>, <c>squares</c> (tilted at most 15°) and <c>triangles</c> (any rotation): one filled shape of
/// random size and position;</item>
/// <item><c>stripes</c>: parallel bands of a random period and orientation.</item>
/// </list>
/// The class is the geometry only: the colours (foreground, a background gradient) and the sizes are random in every
/// class, with pixel noise, so a classifier has to look at edges and corners, not at colour. Pictures are 40 to 72
/// pixels a side, anti-aliased with 4×4 supersampling; every eighth is a 24-bit BMP (the rest PNG), so the sample also
/// shows that formats come from the bytes. Everything comes from one seed through a private generator (SplitMix64),
/// so the pixels are the same on every machine and runtime.
/// </summary>
internal static class ShapesDataset
{
    /// <summary>The classes, in ordinal order (as the dataset reader lists them).</summary>
    public static readonly string[] Classes = ["circles", "squares", "stripes", "triangles"];

    /// <summary>Pictures per class.</summary>
    public const int PerClass = 32;

    /// <summary>The seed the committed data/shapes was made with.</summary>
    public const ulong DefaultSeed = 20261122;

    private const int Supersampling = 4;

    /// <summary>One generated picture: its path under the dataset folder ('/'-separated) and its pixels.</summary>
    public sealed record Picture(string RelativePath, Image Image);

    /// <summary>Draws every picture, class by class, in file-name order.</summary>
    public static IEnumerable<Picture> Generate(ulong seed = DefaultSeed)
    {
        for (int c = 0; c < Classes.Length; c++)
        {
            string singular = Classes[c].TrimEnd('s');
            for (int i = 1; i <= PerClass; i++)
            {
                // One stream per picture: a picture does not change when another class or count changes.
                var random = new SplitMix64(seed ^ ((ulong)(c + 1) << 32) ^ (ulong)i * 0x9E3779B97F4A7C15UL);
                bool bmp = i % 8 == 0;
                Image image = Draw(Classes[c], ref random);
                yield return new Picture($"{Classes[c]}/{singular}-{i:D3}.{(bmp ? "bmp" : "png")}", image);
            }
        }
    }

    /// <summary>Writes the dataset under <paramref name="folder"/> (one subfolder per class), replacing files of the same names.</summary>
    /// <returns>The number of files and their total size in bytes.</returns>
    public static (int Files, long Bytes) Write(string folder, ulong seed = DefaultSeed)
    {
        int files = 0;
        long bytes = 0;
        foreach (Picture picture in Generate(seed))
        {
            string path = Path.Combine(folder, picture.RelativePath);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            byte[] content = picture.RelativePath.EndsWith(".bmp", StringComparison.Ordinal)
                ? EncodeBmp24(picture.Image)
                : PngEncoder.Encode(picture.Image, CompressionLevel.SmallestSize);
            File.WriteAllBytes(path, content);
            files++;
            bytes += content.Length;
        }
        return (files, bytes);
    }

    private static Image Draw(string shape, ref SplitMix64 random)
    {
        int width = random.Next(40, 73), height = random.Next(40, 73);
        (double r, double g, double b) background = RandomColor(ref random);
        (double r, double g, double b) foreground;
        do foreground = RandomColor(ref random);
        while (Math.Abs(Luma(foreground) - Luma(background)) < 70);
        double gradientAngle = random.NextDouble() * 2 * Math.PI;
        double gradient = 15 + random.NextDouble() * 25; // ± this much over the picture
        Func<double, double, bool> inside = Shape(shape, width, height, ref random);

        var image = new Image(width, height, PixelFormat.Rgb24);
        byte[] pixels = image.Pixels;
        double gx = Math.Cos(gradientAngle) / Math.Max(width, height), gy = Math.Sin(gradientAngle) / Math.Max(width, height);
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                int covered = 0;
                for (int sy = 0; sy < Supersampling; sy++)
                    for (int sx = 0; sx < Supersampling; sx++)
                        if (inside(x + (sx + 0.5) / Supersampling, y + (sy + 0.5) / Supersampling)) covered++;
                double a = covered / (double)(Supersampling * Supersampling);
                double shade = gradient * (2 * ((x - width / 2.0) * gx + (y - height / 2.0) * gy));
                int o = (y * width + x) * 3;
                pixels[o] = Channel(background.r + shade, foreground.r, a, ref random);
                pixels[o + 1] = Channel(background.g + shade, foreground.g, a, ref random);
                pixels[o + 2] = Channel(background.b + shade, foreground.b, a, ref random);
            }
        }
        return image;
    }

    private static byte Channel(double background, double foreground, double coverage, ref SplitMix64 random)
    {
        double value = background * (1 - coverage) + foreground * coverage + (random.NextDouble() - 0.5) * 3;
        return (byte)Math.Clamp((int)Math.Round(value), 0, 255);
    }

    /// <summary>An inside test in pixel coordinates for one random instance of <paramref name="shape"/>.</summary>
    private static Func<double, double, bool> Shape(string shape, int width, int height, ref SplitMix64 random)
    {
        double side = Math.Min(width, height);
        double size = side * (0.22 + random.NextDouble() * 0.16); // "radius": 22 % to 38 % of the shorter side
        double cx = size + random.NextDouble() * (width - 2 * size), cy = size + random.NextDouble() * (height - 2 * size);
        switch (shape)
        {
            case "circles":
                return (x, y) => (x - cx) * (x - cx) + (y - cy) * (y - cy) <= size * size;
            case "squares":
            {
                double angle = (random.NextDouble() - 0.5) * (Math.PI / 6);
                double cos = Math.Cos(angle), sin = Math.Sin(angle), half = size * 0.85;
                return (x, y) =>
                {
                    double u = (x - cx) * cos + (y - cy) * sin, v = -(x - cx) * sin + (y - cy) * cos;
                    return Math.Abs(u) <= half && Math.Abs(v) <= half;
                };
            }
            case "triangles":
            {
                double angle = random.NextDouble() * 2 * Math.PI;
                var vx = new double[3];
                var vy = new double[3];
                for (int k = 0; k < 3; k++)
                {
                    vx[k] = cx + size * 1.1 * Math.Cos(angle + k * 2 * Math.PI / 3);
                    vy[k] = cy + size * 1.1 * Math.Sin(angle + k * 2 * Math.PI / 3);
                }
                return (x, y) =>
                {
                    double d0 = Edge(vx[0], vy[0], vx[1], vy[1], x, y), d1 = Edge(vx[1], vy[1], vx[2], vy[2], x, y), d2 = Edge(vx[2], vy[2], vx[0], vy[0], x, y);
                    return (d0 >= 0 && d1 >= 0 && d2 >= 0) || (d0 <= 0 && d1 <= 0 && d2 <= 0);
                };
            }
            case "stripes":
            {
                double angle = random.NextDouble() * Math.PI;
                double period = 7 + random.NextDouble() * 7;
                double phase = random.NextDouble() * period;
                double cos = Math.Cos(angle), sin = Math.Sin(angle);
                return (x, y) =>
                {
                    double t = (x * cos + y * sin + phase) / period;
                    return t - Math.Floor(t) < 0.5;
                };
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(shape), shape, "unknown shape");
        }
    }

    private static double Edge(double ax, double ay, double bx, double by, double x, double y) => (bx - ax) * (y - ay) - (by - ay) * (x - ax);

    private static (double, double, double) RandomColor(ref SplitMix64 random) =>
        (random.Next(0, 256), random.Next(0, 256), random.Next(0, 256));

    private static double Luma((double r, double g, double b) c) => 0.299 * c.r + 0.587 * c.g + 0.114 * c.b;

    /// <summary>A 24-bit bottom-up Windows bitmap (BITMAPINFOHEADER, rows padded to 4 bytes).</summary>
    internal static byte[] EncodeBmp24(Image image)
    {
        int stride = (image.Width * 3 + 3) & ~3;
        int size = 54 + stride * image.Height;
        var file = new byte[size];
        Span<byte> span = file;
        span[0] = (byte)'B';
        span[1] = (byte)'M';
        BinaryPrimitives.WriteInt32LittleEndian(span[2..], size);
        BinaryPrimitives.WriteInt32LittleEndian(span[10..], 54);
        BinaryPrimitives.WriteInt32LittleEndian(span[14..], 40);
        BinaryPrimitives.WriteInt32LittleEndian(span[18..], image.Width);
        BinaryPrimitives.WriteInt32LittleEndian(span[22..], image.Height);
        BinaryPrimitives.WriteInt16LittleEndian(span[26..], 1);
        BinaryPrimitives.WriteInt16LittleEndian(span[28..], 24);
        BinaryPrimitives.WriteInt32LittleEndian(span[34..], stride * image.Height);
        BinaryPrimitives.WriteInt32LittleEndian(span[38..], 2835); // 72 dpi
        BinaryPrimitives.WriteInt32LittleEndian(span[42..], 2835);
        int bpp = image.BytesPerPixel;
        for (int y = 0; y < image.Height; y++)
        {
            ReadOnlySpan<byte> row = image.Row(image.Height - 1 - y);
            Span<byte> target = span.Slice(54 + y * stride, image.Width * 3);
            for (int x = 0; x < image.Width; x++)
            {
                target[x * 3] = row[x * bpp + 2];
                target[x * 3 + 1] = row[x * bpp + 1];
                target[x * 3 + 2] = row[x * bpp];
            }
        }
        return file;
    }

    /// <summary>SplitMix64 (Steele, Lea and Flood 2014): tiny, fast, and fixed here so the data never changes with the runtime.</summary>
    private struct SplitMix64(ulong seed)
    {
        private ulong _state = seed;

        public ulong NextUInt64()
        {
            ulong z = _state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        /// <summary>Uniform in [0, 1) with 53 bits.</summary>
        public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

        /// <summary>Uniform in [min, max).</summary>
        public int Next(int min, int max) => min + (int)(NextUInt64() % (ulong)(max - min));
    }
}
