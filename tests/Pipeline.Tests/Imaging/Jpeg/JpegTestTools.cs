using System.Diagnostics;
using System.Text;
using Pipeline.Imaging;
using Pipeline.Tests.Infrastructure;

namespace Pipeline.Tests.Imaging.Jpeg;

/// <summary>
/// Helpers for checking the JPEG decoder against libjpeg-turbo's command-line tools: running them, reading and
/// writing PNM, cropping, PSNR, and a synthetic picture for seeds that owe nothing to ../shared.
/// </summary>
internal static class JpegTestTools
{
    /// <summary>An RGB picture as PNM tools see it.</summary>
    public sealed record Rgb(int Width, int Height, byte[] Pixels);

    /// <summary>Every JPEG the acceptance criteria name: flowers-small and the model test images.</summary>
    public static IReadOnlyList<string> SharedJpegs()
    {
        string flowers = SharedData.Require("datasets/flowers-small");
        string images = SharedData.Require("models/images");
        return Directory.GetFiles(flowers, "*.jpg", SearchOption.AllDirectories)
            .Concat(Directory.GetFiles(images, "*.jpg", SearchOption.AllDirectories))
            .Order(StringComparer.Ordinal)
            .ToArray();
    }

    /// <summary>Runs <paramref name="tool"/>, feeding <paramref name="stdin"/>; returns stdout or fails with stderr.</summary>
    public static byte[] Run(string tool, IEnumerable<string> arguments, byte[]? stdin = null)
    {
        var info = new ProcessStartInfo(tool)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
        };
        foreach (string argument in arguments) info.ArgumentList.Add(argument);
        using Process process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {tool}");
        Task<string> errors = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            Task.Run(() =>
            {
                process.StandardInput.BaseStream.Write(stdin);
                process.StandardInput.Close();
            });
        }
        using var output = new MemoryStream();
        process.StandardOutput.BaseStream.CopyTo(output);
        if (!process.WaitForExit(60_000))
        {
            process.Kill();
            throw new TimeoutException($"{tool} {string.Join(' ', arguments)} did not finish");
        }
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{tool} {string.Join(' ', arguments)} failed ({process.ExitCode}): {errors.Result}");
        return output.ToArray();
    }

    /// <summary>djpeg's decode of <paramref name="file"/> at 1/<paramref name="scale"/>, with its default settings.</summary>
    public static Rgb Djpeg(string file, int scale = 1)
    {
        var arguments = new List<string>();
        if (scale != 1) arguments.AddRange(["-scale", $"1/{scale}"]);
        arguments.AddRange(["-pnm", file]);
        return ParsePnm(Run("djpeg", arguments));
    }

    /// <summary>Reads binary PGM (P5, expanded to gray RGB) or PPM (P6) with maxval 255.</summary>
    public static Rgb ParsePnm(byte[] data)
    {
        int pos = 0;
        string Token()
        {
            while (true)
            {
                while (char.IsWhiteSpace((char)data[pos])) pos++;
                if (data[pos] != '#') break;
                while (data[pos] != '\n') pos++;
            }
            int start = pos;
            while (!char.IsWhiteSpace((char)data[pos])) pos++;
            return Encoding.ASCII.GetString(data, start, pos - start);
        }
        string magic = Token();
        int width = int.Parse(Token()), height = int.Parse(Token()), max = int.Parse(Token());
        pos++;
        Assert.Equal(255, max);
        var pixels = new byte[width * height * 3];
        if (magic == "P6")
        {
            Array.Copy(data, pos, pixels, 0, pixels.Length);
        }
        else
        {
            Assert.Equal("P5", magic);
            for (int i = 0; i < width * height; i++) pixels[3 * i] = pixels[3 * i + 1] = pixels[3 * i + 2] = data[pos + i];
        }
        return new Rgb(width, height, pixels);
    }

    public static byte[] WritePpm(Rgb image)
    {
        byte[] header = Encoding.ASCII.GetBytes($"P6\n{image.Width} {image.Height}\n255\n");
        return [.. header, .. image.Pixels];
    }

    public static Rgb Crop(Rgb image, int x, int y, int width, int height)
    {
        var pixels = new byte[width * height * 3];
        for (int row = 0; row < height; row++)
            Array.Copy(image.Pixels, ((y + row) * image.Width + x) * 3, pixels, row * width * 3, width * 3);
        return new Rgb(width, height, pixels);
    }

    /// <summary>A smooth picture with edges and a little noise, so JPEG has real work; deterministic per seed.</summary>
    public static Rgb Synthetic(int width, int height, int seed)
    {
        var random = new Random(seed);
        var pixels = new byte[width * height * 3];
        double fx = 0.05 + random.NextDouble() * 0.1, fy = 0.05 + random.NextDouble() * 0.1;
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                int i = (y * width + x) * 3;
                bool inside = (x - width / 2) * (x - width / 2) + (y - height / 2) * (y - height / 2) < width * height / 8;
                pixels[i] = (byte)Math.Clamp(128 + 100 * Math.Sin(x * fx) + random.Next(-8, 9), 0, 255);
                pixels[i + 1] = (byte)Math.Clamp(128 + 100 * Math.Cos(y * fy) + random.Next(-8, 9), 0, 255);
                pixels[i + 2] = (byte)(inside ? 220 : 30 + (x + y) % 50);
            }
        }
        return new Rgb(width, height, pixels);
    }

    /// <summary>Encodes with cjpeg (libjpeg-turbo), passing <paramref name="options"/> through.</summary>
    public static byte[] Cjpeg(Rgb image, params string[] options) => Run("cjpeg", options, WritePpm(image));

    /// <summary>Peak signal-to-noise ratio in dB over all samples; +∞ when identical.</summary>
    public static double Psnr(Image ours, Rgb reference)
    {
        Assert.Equal((reference.Width, reference.Height), (ours.Width, ours.Height));
        Assert.Equal(PixelFormat.Rgb24, ours.Format);
        double sum = 0;
        byte[] a = ours.Pixels, b = reference.Pixels;
        for (int i = 0; i < a.Length; i++)
        {
            int d = a[i] - b[i];
            sum += d * d;
        }
        return sum == 0 ? double.PositiveInfinity : 10 * Math.Log10(255.0 * 255.0 * a.Length / sum);
    }

    public static string Format(double psnr) => double.IsPositiveInfinity(psnr) ? "exact" : $"{psnr:F2} dB";
}
