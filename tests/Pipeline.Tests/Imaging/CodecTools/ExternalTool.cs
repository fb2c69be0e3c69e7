using System.Diagnostics;
using Pipeline.Tests.Infrastructure;

namespace Pipeline.Tests.Imaging.CodecTools;

/// <summary>Runs the reference command-line tools (ImageMagick, netpbm) the codec tests compare against.</summary>
internal static class ExternalTool
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>Runs <paramref name="exe"/> and returns its standard output; throws with stderr when it fails.</summary>
    public static byte[] Run(string exe, IEnumerable<string> args, byte[]? stdin = null) => Run(exe, args, stdin, out _, tolerateFailure: false);

    /// <summary>
    /// Runs <paramref name="exe"/>; with <paramref name="tolerateFailure"/> a non-zero exit is returned (with stderr)
    /// instead of thrown, for tools that complain yet still write their output.
    /// </summary>
    public static byte[] Run(string exe, IEnumerable<string> args, byte[]? stdin, out string errors, bool tolerateFailure)
    {
        var info = new ProcessStartInfo(exe)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
        };
        // One thread: up to eight test runs share two cores, and OpenMP's spinning threads only slow them down.
        info.Environment["MAGICK_THREAD_LIMIT"] = "1";
        info.Environment["OMP_NUM_THREADS"] = "1";
        foreach (string a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {exe}");
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        var stdout = new MemoryStream();
        Task copy = process.StandardOutput.BaseStream.CopyToAsync(stdout);
        if (stdin is not null)
        {
            process.StandardInput.BaseStream.Write(stdin);
            process.StandardInput.Close();
        }
        if (!process.WaitForExit(Timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{exe} {string.Join(' ', info.ArgumentList)} ran longer than {Timeout.TotalSeconds} s");
        }
        copy.Wait();
        errors = stderr.Result;
        if (process.ExitCode != 0 && !tolerateFailure)
            throw new InvalidOperationException($"{Path.GetFileName(exe)} {string.Join(' ', info.ArgumentList)} exited {process.ExitCode}: {stderr.Result}");
        return stdout.ToArray();
    }

    /// <summary>
    /// ImageMagick's convert, or a skip. Only a real executable counts: a script of the same name on PATH is passed over.
    /// </summary>
    public static string RequireImageMagick()
    {
        string? found = FindBinary("convert");
        if (found is null)
            Assert.Skip("ImageMagick's 'convert' is not installed (Debian package imagemagick); .ci/run installs it.");
        return found;
    }

    /// <summary>A netpbm tool, or a skip.</summary>
    public static string RequireNetpbm(string name) => SharedData.RequireTool(name, "netpbm");

    /// <summary>Decodes <paramref name="path"/> with ImageMagick to 8-bit RGBA (frame 0 of a GIF).</summary>
    public static byte[] ImageMagickRgba8(string path, bool tolerateWarnings = false)
        => Run(RequireImageMagick(), [path + (path.EndsWith(".gif", StringComparison.OrdinalIgnoreCase) ? "[0]" : ""), "-depth", "8", "rgba:-"],
            null, out _, tolerateWarnings);

    /// <summary>Runs ImageMagick's convert with <paramref name="args"/>.</summary>
    public static void ImageMagick(params string[] args) => Run(RequireImageMagick(), args);

    private static string? FindBinary(string name)
    {
        Span<byte> magic = stackalloc byte[4];
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator))
        {
            if (dir.Length == 0) continue;
            string candidate = Path.Combine(dir, name);
            if (!File.Exists(candidate)) continue;
            using (var f = File.OpenRead(candidate))
            {
                if (f.Read(magic) == 4 && magic.SequenceEqual("\u007fELF"u8)) return candidate;
            }
        }
        return null;
    }
}
