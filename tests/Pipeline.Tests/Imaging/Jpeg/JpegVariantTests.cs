using Pipeline.Imaging;
using Pipeline.Imaging.Jpeg;
using Pipeline.Tests.Infrastructure;
using static Pipeline.Tests.Imaging.Jpeg.JpegTestTools;

namespace Pipeline.Tests.Imaging.Jpeg;

/// <summary>
/// Acceptance 3: JPEG variants generated at test time with libjpeg-turbo's cjpeg/jpegtran (and ImageMagick for
/// CMYK) from two flowers and a synthetic picture — progressive, restart intervals, every subsampling, grayscale,
/// odd sizes, 16-bit quantization tables, RGB, CMYK and YCCK — each checked against djpeg at 1, 1/2, 1/4 and 1/8.
/// </summary>
public sealed class JpegVariantTests(JpegVariantTests.Fixture fixture, ITestOutputHelper output)
    : IClassFixture<JpegVariantTests.Fixture>
{
    private const double MinimumPsnr = 45;

    /// <summary>How each variant is made from a source picture (its PPM and, for jpegtran, its baseline JPEG).</summary>
    private static readonly (string Name, Func<Source, byte[]> Make)[] Recipes =
    [
        ("baseline-420", s => Cjpeg(s.Picture, "-sample", "2x2")),
        ("baseline-422", s => Cjpeg(s.Picture, "-sample", "2x1")),
        ("baseline-440", s => Cjpeg(s.Picture, "-sample", "1x2")),
        ("baseline-411", s => Cjpeg(s.Picture, "-sample", "4x1")),
        ("baseline-444", s => Cjpeg(s.Picture, "-sample", "1x1")),
        ("baseline-sampling-2x4", s => Cjpeg(s.Picture, "-sample", "2x4")),
        ("baseline-sampling-1x4", s => Cjpeg(s.Picture, "-sample", "1x4")),
        ("baseline-sampling-4x2", s => Cjpeg(s.Picture, "-sample", "4x2")),
        ("baseline-chroma-wider", s => Cjpeg(s.Picture, "-sample", "1x1,2x2,1x1")),
        ("grayscale", s => Cjpeg(s.Picture, "-grayscale")),
        ("restart-every-mcu", s => Cjpeg(s.Picture, "-restart", "1B")),
        ("restart-3-mcus", s => Cjpeg(s.Picture, "-restart", "3B")),
        ("restart-1-row", s => Cjpeg(s.Picture, "-restart", "1")),
        ("optimized-huffman", s => Cjpeg(s.Picture, "-optimize", "-sample", "2x1")),
        ("quality-5-16bit-tables", s => Cjpeg(s.Picture, "-quality", "5")),
        ("quality-100", s => Cjpeg(s.Picture, "-quality", "100", "-sample", "1x1")),
        ("rgb", s => Cjpeg(s.Picture, "-rgb")),
        ("sequential-non-interleaved", s => Cjpeg(s.Picture, "-scans", s.Script("0;\n1;\n2;\n"))),
        ("sequential-non-interleaved-420", s => Cjpeg(s.Picture, "-sample", "2x2", "-scans", s.Script("0;\n2;\n1;\n"))),
        ("progressive-jpegtran", s => Run("jpegtran", ["-progressive"], s.Baseline)),
        ("progressive-420", s => Cjpeg(s.Picture, "-progressive")),
        ("progressive-422", s => Cjpeg(s.Picture, "-progressive", "-sample", "2x1")),
        ("progressive-440", s => Cjpeg(s.Picture, "-progressive", "-sample", "1x2")),
        ("progressive-411", s => Cjpeg(s.Picture, "-progressive", "-sample", "4x1")),
        ("progressive-grayscale", s => Cjpeg(s.Picture, "-progressive", "-grayscale")),
        ("progressive-restart", s => Cjpeg(s.Picture, "-progressive", "-restart", "2")),
        ("progressive-restart-every-block", s => Run("jpegtran", ["-progressive", "-restart", "1B"], s.Baseline)),
        ("progressive-successive-approximation", s => Cjpeg(s.Picture, "-sample", "2x1", "-scans", s.Script(
            "0 1 2: 0 0 0 2;\n0: 1 5 0 2;\n1: 1 63 0 1;\n2: 1 63 0 0;\n0: 6 63 0 2;\n0: 1 63 2 1;\n" +
            "0 1 2: 0 0 2 1;\n0 1 2: 0 0 1 0;\n1: 1 63 1 0;\n0: 1 63 1 0;\n"))),
        ("odd-size-420", s => Cjpeg(Crop(s.Picture, 3, 5, 101, 77), "-sample", "2x2")),
        ("odd-size-422", s => Cjpeg(Crop(s.Picture, 1, 2, 33, 17), "-sample", "2x1")),
        ("odd-size-440-progressive", s => Cjpeg(Crop(s.Picture, 2, 1, 37, 29), "-sample", "1x2", "-progressive")),
        ("odd-size-411", s => Cjpeg(Crop(s.Picture, 0, 0, 13, 11), "-sample", "4x1")),
        ("odd-size-tall", s => Cjpeg(Crop(s.Picture, 5, 0, 3, 97), "-sample", "2x2", "-restart", "1B")),
        ("tiny-1x1", s => Cjpeg(Crop(s.Picture, 7, 7, 1, 1), "-sample", "2x2")),
        ("tiny-2x2-progressive", s => Cjpeg(Crop(s.Picture, 7, 7, 2, 2), "-sample", "2x2", "-progressive")),
        ("tiny-3x2-422", s => Cjpeg(Crop(s.Picture, 7, 7, 3, 2), "-sample", "2x1")),
        ("cmyk-ycck-imagemagick", s => s.ImageMagickCmyk()),
        ("cmyk-adobe-transform-0", s => WithAdobeTransform(s.ImageMagickCmyk(), 0)),
        ("cmyk-no-adobe-marker", s => WithoutAdobeMarker(s.ImageMagickCmyk())),
    ];

    public static TheoryData<string> Variants => new(Recipes.Select(r => r.Name));

    [Theory]
    [MemberData(nameof(Variants))]
    public void VariantMatchesDjpeg(string variant)
    {
        IReadOnlyList<string> files = fixture.Files(variant);
        var lines = new List<string>();
        foreach (string file in files)
        {
            byte[] data = File.ReadAllBytes(file);
            foreach (int scale in (int[])[1, 2, 4, 8])
            {
                Image ours = JpegDecoder.Decode(data, DecoderOptions.Default, scale);
                double psnr = Psnr(ours, Djpeg(file, scale));
                lines.Add($"{Path.GetFileName(file)} 1/{scale}: {Format(psnr)}");
                Assert.True(psnr >= MinimumPsnr, $"{variant} {Path.GetFileName(file)} at 1/{scale}: {psnr:F2} dB");
            }
        }
        output.WriteLine(string.Join("\n", lines));
    }

    /// <summary>With the vector kernels switched off, every variant decodes to the same bytes.</summary>
    [Fact]
    public void ScalarKernelsDecodeEveryVariantIdentically()
    {
        var files = new List<string>();
        foreach ((string name, _) in Recipes)
        {
            if (!name.StartsWith("cmyk", StringComparison.Ordinal)) files.AddRange(fixture.Files(name));
        }
        var vectorized = files.Select(f => JpegDecoder.Decode(File.ReadAllBytes(f), DecoderOptions.Default, 1).Pixels).ToArray();
        bool saved = JpegSimd.Vector256;
        try
        {
            JpegSimd.Vector256 = false;
            for (int i = 0; i < files.Count; i++)
                Assert.Equal(vectorized[i], JpegDecoder.Decode(File.ReadAllBytes(files[i]), DecoderOptions.Default, 1).Pixels);
        }
        finally
        {
            JpegSimd.Vector256 = saved;
        }
    }

    /// <summary>One source picture and its temp folder.</summary>
    internal sealed class Source(string name, Rgb picture, string folder)
    {
        private byte[]? _baseline;
        private byte[]? _cmyk;

        public string Name { get; } = name;

        public Rgb Picture { get; } = picture;

        /// <summary>A plain baseline JPEG of the picture (jpegtran's input).</summary>
        public byte[] Baseline => _baseline ??= Cjpeg(Picture);

        /// <summary>Writes a cjpeg scan script and returns its path.</summary>
        public string Script(string text)
        {
            string path = Path.Combine(folder, $"{Name}-{Guid.NewGuid():N}.scans");
            File.WriteAllText(path, text);
            return path;
        }

        /// <summary>ImageMagick's CMYK JPEG (it writes YCCK with an Adobe marker, transform 2).</summary>
        public byte[] ImageMagickCmyk()
        {
            if (_cmyk is not null) return _cmyk;
            string ppm = Path.Combine(folder, $"{Name}.ppm"), jpg = Path.Combine(folder, $"{Name}-cmyk.jpg");
            File.WriteAllBytes(ppm, WritePpm(Picture));
            try
            {
                Run("convert", [ppm, "-colorspace", "CMYK", jpg]);
            }
            catch (InvalidOperationException e)
            {
                Assert.Skip($"ImageMagick's convert could not write a CMYK JPEG (Debian package imagemagick): {e.Message}");
            }
            return _cmyk = File.ReadAllBytes(jpg);
        }
    }

    /// <summary>Makes the variants once per test run, in a temp folder removed afterwards.</summary>
    public sealed class Fixture : IDisposable
    {
        private readonly string _folder = Path.Combine(Path.GetTempPath(), "jpeg-variants-" + Guid.NewGuid().ToString("N"));
        private readonly Dictionary<string, List<string>> _made = [];
        private List<Source>? _sources;

        public IReadOnlyList<string> Files(string variant)
        {
            SharedData.RequireTool("djpeg", "libjpeg-turbo-progs");
            SharedData.RequireTool("cjpeg", "libjpeg-turbo-progs");
            SharedData.RequireTool("jpegtran", "libjpeg-turbo-progs");
            lock (_made)
            {
                if (_made.TryGetValue(variant, out List<string>? files)) return files;
                Directory.CreateDirectory(_folder);
                _sources ??= LoadSources();
                var made = new List<string>();
                Func<Source, byte[]> recipe = Recipes.Single(r => r.Name == variant).Make;
                foreach (Source source in _sources)
                {
                    string path = Path.Combine(_folder, $"{variant}-{source.Name}.jpg");
                    File.WriteAllBytes(path, recipe(source));
                    made.Add(path);
                }
                _made[variant] = made;
                return made;
            }
        }

        private List<Source> LoadSources()
        {
            var sources = new List<Source> { new("synthetic", Synthetic(160, 120, 7), _folder) };
            if (SharedData.Root is not null)
            {
                // A 320x263 and a 500x333 photo: neither side a multiple of 16.
                string flowers = Path.Combine(SharedData.Root, "datasets", "flowers-small");
                foreach (string name in (string[])["daisy/100080576_f52e8ee070_n.jpg", "daisy/11642632_1e7627a2cc.jpg"])
                {
                    string file = Path.Combine(flowers, name);
                    if (File.Exists(file)) sources.Add(new(Path.GetFileNameWithoutExtension(file), Djpeg(file), _folder));
                }
            }
            return sources;
        }

        public void Dispose()
        {
            if (Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
        }
    }

    /// <summary>Rewrites the Adobe APP14 transform flag (0 = CMYK, 2 = YCCK).</summary>
    private static byte[] WithAdobeTransform(byte[] jpeg, byte transform)
    {
        byte[] copy = (byte[])jpeg.Clone();
        int at = FindAdobe(copy);
        copy[at + 4 + 11] = transform; // FF EE, 2-byte length, then "Adobe" + version, flags0, flags1, transform
        return copy;
    }

    private static byte[] WithoutAdobeMarker(byte[] jpeg)
    {
        int at = FindAdobe(jpeg);
        int length = (jpeg[at + 2] << 8) | jpeg[at + 3];
        return [.. jpeg.AsSpan(0, at), .. jpeg.AsSpan(at + 2 + length)];
    }

    private static int FindAdobe(byte[] jpeg)
    {
        for (int i = 2; i + 9 < jpeg.Length; i++)
        {
            if (jpeg[i] == 0xFF && jpeg[i + 1] == 0xEE && jpeg.AsSpan(i + 4, 5).SequenceEqual("Adobe"u8)) return i;
        }
        throw new InvalidOperationException("no Adobe APP14 marker");
    }
}
