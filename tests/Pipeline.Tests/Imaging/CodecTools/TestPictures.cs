using Pipeline.Tests.Infrastructure;

namespace Pipeline.Tests.Imaging.CodecTools;

/// <summary>
/// Source pictures for the codec tests, as 16-bit RGB samples: a synthetic gradient with seeded noise (every run
/// the same), and a flowers photo resized with ImageMagick (skips when ../shared or ImageMagick is absent).
/// </summary>
internal static class TestPictures
{
    private static readonly Lazy<string> WorkDirectory = new(() =>
    {
        string dir = Path.Combine(Path.GetTempPath(), $"pipeline-codec-tests-{Environment.ProcessId}");
        Directory.CreateDirectory(dir);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        };
        return dir;
    });

    private static readonly Lazy<PnmImage> FlowerLazy = new(LoadFlower);

    /// <summary>A scratch folder for generated files, deleted when the test process exits.</summary>
    public static string Scratch(string name)
    {
        string dir = Path.Combine(WorkDirectory.Value, name);
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>A picture by name: "noise" (67×45 synthetic), "tiny" (7×5 synthetic), "flower" (83×59 photo).</summary>
    public static PnmImage Get(string name) => name switch
    {
        "noise" => Synthetic(67, 45, seed: 1),
        "tiny" => Synthetic(7, 5, seed: 2),
        "flower" => FlowerLazy.Value,
        _ => throw new ArgumentException(name),
    };

    /// <summary>Smooth colour gradients plus seeded noise, with 16 significant bits per sample.</summary>
    public static PnmImage Synthetic(int width, int height, int seed)
    {
        var random = new Random(seed);
        var samples = new ushort[width * height * 3];
        for (int y = 0, i = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                double u = (x + 0.5) / width, v = (y + 0.5) / height;
                double[] smooth = [u, v, 0.5 + 0.5 * Math.Sin(6 * (u + v))];
                foreach (double s in smooth)
                    samples[i++] = (ushort)Math.Clamp((int)(s * 60000) + random.Next(-4000, 4000), 0, 65535);
            }
        }
        return new PnmImage(width, height, 3, 65535, samples);
    }

    private static PnmImage LoadFlower()
    {
        string folder = SharedData.Require("datasets/flowers-small/daisy");
        string photo = Directory.GetFiles(folder, "*.jpg").Order(StringComparer.Ordinal).First();
        byte[] ppm = ExternalTool.Run(ExternalTool.RequireImageMagick(), [photo, "-resize", "83x59!", "-depth", "16", "ppm:-"]);
        return PnmImage.Parse(ppm);
    }
}
