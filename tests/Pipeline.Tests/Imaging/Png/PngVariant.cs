using System.Globalization;
using Pipeline.Tests.Imaging.CodecTools;

namespace Pipeline.Tests.Imaging.Png;

/// <summary>
/// One cell of the PNG test matrix: which tool writes it (netpbm's pnmtopng, which gives exact control over colour
/// type, bit depth, tRNS and filter, or ImageMagick's convert with png:color-type / png:bit-depth), the sample
/// layout, and what its IHDR must then say. Written as a compact key, e.g. <c>pnm-palette-4-trns-adam7-paeth</c>.
/// </summary>
internal sealed record PngVariant(string Tool, string Kind, int Depth, bool Transparency, bool Interlaced, string Filter)
{
    /// <summary>IHDR colour type this variant must produce.</summary>
    public int ColorType => Kind switch { "gray" => 0, "rgb" => 2, "palette" => 3, "graya" => 4, _ => 6 };

    /// <summary>The compact key.</summary>
    public string Key => $"{Tool}-{Kind}-{Depth}{(Transparency ? "-trns" : "")}{(Interlaced ? "-adam7" : "")}{(Filter == "auto" ? "" : "-" + Filter)}";

    /// <summary>Parses <see cref="Key"/>.</summary>
    public static PngVariant Parse(string key)
    {
        string[] parts = key.Split('-');
        return new PngVariant(parts[0], parts[1], int.Parse(parts[2], CultureInfo.InvariantCulture), parts.Contains("trns"), parts.Contains("adam7"),
            parts.Length > 3 && parts[^1] is "none" or "sub" or "up" or "avg" or "paeth" ? parts[^1] : "auto");
    }

    /// <summary>Writes this variant of <paramref name="source"/> as a PNG file in <paramref name="dir"/> and returns its path.</summary>
    public string Write(PnmImage source, string dir)
    {
        string stem = Path.Combine(dir, Key);
        string png = stem + ".png";
        var (color, alpha) = Samples(source);
        if (Tool == "pnm")
        {
            string input = stem + (color.Channels == 1 ? ".pgm" : ".ppm");
            color.WritePnm(input);
            var args = new List<string>();
            if (Kind != "palette") args.Add("-force");
            if (Interlaced) args.Add("-interlace");
            if (Filter != "auto") args.Add(Filter == "none" ? "-nofilter" : "-" + Filter);
            if (alpha is not null)
            {
                string alphaPath = stem + "-alpha.pgm";
                alpha.WritePnm(alphaPath);
                args.Add("-alpha=" + alphaPath);
            }
            if (Transparency && Kind != "palette") args.Add("-transparent==" + KeyColour(color));
            args.Add(input);
            File.WriteAllBytes(png, ExternalTool.Run(ExternalTool.RequireNetpbm("pnmtopng"), args));
        }
        else
        {
            string input = stem + ".pam";
            PnmImage combined = alpha is null ? color : Interleave(color, alpha);
            combined.WritePam(input, (color.Channels, alpha is not null) switch
            {
                (1, false) => "GRAYSCALE", (1, true) => "GRAYSCALE_ALPHA", (3, false) => "RGB", _ => "RGB_ALPHA",
            });
            ExternalTool.ImageMagick(input, "-define", $"png:color-type={ColorType}", "-define", $"png:bit-depth={Depth}",
                "-interlace", Interlaced ? "PNG" : "none", png);
        }
        return png;
    }

    // The colour samples (at this variant's depth) and, for alpha and palette-with-tRNS variants, the alpha samples.
    private (PnmImage Color, PnmImage? Alpha) Samples(PnmImage source)
    {
        int w = source.Width, h = source.Height, n = w * h;
        int maxValue = Kind == "palette" ? 255 : (1 << Depth) - 1;
        var luminance = new int[n];
        for (int i = 0; i < n; i++)
            luminance[i] = (source.Samples[3 * i] * 299 + source.Samples[3 * i + 1] * 587 + source.Samples[3 * i + 2] * 114) / 1000;
        PnmImage? alpha = null;
        if (Kind is "graya" or "rgba")
        {
            var a = new ushort[n];
            for (int y = 0, i = 0; y < h; y++)
                for (int x = 0; x < w; x++, i++)
                    a[i] = Scale((ushort)((x * 65535 / Math.Max(1, w - 1) + source.Samples[3 * i + 2]) / 2), maxValue);
            alpha = new PnmImage(w, h, 1, maxValue, a);
        }
        switch (Kind)
        {
            case "gray":
            case "graya":
            {
                var g = new ushort[n];
                for (int i = 0; i < n; i++) g[i] = Scale((ushort)luminance[i], maxValue);
                return (new PnmImage(w, h, 1, maxValue, g), alpha);
            }
            case "rgb":
            case "rgba":
            {
                var c = new ushort[3 * n];
                for (int i = 0; i < c.Length; i++) c[i] = Scale(source.Samples[i], maxValue);
                return (new PnmImage(w, h, 3, maxValue, c), alpha);
            }
            default:
            {
                // Indices from quantised luminance; the first pixels take every index so the palette is full-sized and
                // pnmtopng has to choose this bit depth. Alpha for tRNS is a function of the index (0, partial, opaque).
                int colours = Depth == 8 ? 200 : 1 << Depth;
                var random = new Random(colours);
                var palette = new (ushort R, ushort G, ushort B, ushort A)[colours];
                for (int k = 0; k < colours; k++)
                    palette[k] = ((ushort)random.Next(256), (ushort)random.Next(256), (ushort)random.Next(256), (ushort)(k % 3 == 0 ? 0 : k % 3 == 1 ? 37 + k : 255));
                var c = new ushort[3 * n];
                var a = new ushort[n];
                for (int i = 0; i < n; i++)
                {
                    int k = i < colours && n >= colours ? i : luminance[i] * colours / 65536;
                    (c[3 * i], c[3 * i + 1], c[3 * i + 2], a[i]) = palette[k];
                }
                return (new PnmImage(w, h, 3, 255, c), Transparency ? new PnmImage(w, h, 1, 255, a) : null);
            }
        }
    }

    private static ushort Scale(ushort value16, int maxValue) => (ushort)((value16 * maxValue + 32767) / 65535);

    // The centre pixel's colour, which becomes the tRNS key, in pnmtopng's 16-bit rgb: notation (exact for every maxval).
    private static string KeyColour(PnmImage color)
    {
        int i = (color.Height / 2 * color.Width + color.Width / 2) * color.Channels;
        string Hex(int c) => (color.Samples[i + (color.Channels == 3 ? c : 0)] * (65535 / color.MaxValue)).ToString("x4", CultureInfo.InvariantCulture);
        return $"rgb:{Hex(0)}/{Hex(1)}/{Hex(2)}";
    }

    private static PnmImage Interleave(PnmImage color, PnmImage alpha)
    {
        int n = color.Width * color.Height, c = color.Channels;
        var samples = new ushort[n * (c + 1)];
        for (int i = 0; i < n; i++)
        {
            for (int k = 0; k < c; k++) samples[i * (c + 1) + k] = color.Samples[i * c + k];
            samples[i * (c + 1) + c] = alpha.Samples[i];
        }
        return new PnmImage(color.Width, color.Height, c + 1, color.MaxValue, samples);
    }
}
