namespace Pipeline.Tests.Infrastructure;

/// <summary>
/// Locates ../shared (next to the repository root) and the external tools some tests compare against.
/// Tests that need either call a <c>Require…</c> method, which skips the test with a visible reason when absent.
/// </summary>
internal static class SharedData
{
    private static readonly Lazy<string> RepoRootLazy = new(FindRepoRoot);
    private static readonly Lazy<string?> SharedLazy = new(FindShared);

    /// <summary>The repository root: the folder holding Pipeline.sln.</summary>
    public static string RepoRoot => RepoRootLazy.Value;

    /// <summary>The shared folder, or null when absent. PIPELINE_SHARED overrides the default ../shared.</summary>
    public static string? Root => SharedLazy.Value;

    /// <summary>Returns the full path of <paramref name="relative"/> inside ../shared, or skips the test when it is absent.</summary>
    public static string Require(string relative)
    {
        if (Root is null)
            Assert.Skip($"../shared is absent (looked next to {RepoRoot}); this test needs shared/{relative}.");
        string path = Path.Combine(Root, relative);
        if (!File.Exists(path) && !Directory.Exists(path))
            Assert.Skip($"shared/{relative} is absent.");
        return path;
    }

    /// <summary>Returns the full path of an executable on PATH, or skips the test naming the package to install.</summary>
    public static string RequireTool(string name, string debianPackage)
    {
        string? found = FindOnPath(name);
        if (found is null)
            Assert.Skip($"'{name}' is not installed (Debian package {debianPackage}); .ci/run installs it.");
        return found;
    }

    /// <summary>
    /// Returns ImageMagick's <c>convert</c>, or skips the test. Some machines put a stand-in named <c>convert</c> on PATH
    /// that converts one format only, so the tool must also say it is ImageMagick.
    /// </summary>
    public static string RequireImageMagick()
    {
        string convert = RequireTool("convert", "imagemagick");
        string banner;
        try
        {
            using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(convert, ["-version"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
            banner = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
            process.WaitForExit();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            banner = e.Message;
        }
        if (!banner.Contains("ImageMagick", StringComparison.Ordinal) || banner.Contains("not installed", StringComparison.Ordinal))
            Assert.Skip($"'{convert}' is not ImageMagick (its -version says: {banner.Trim().Split('\n')[0]}); install the Debian package imagemagick.");
        return convert;
    }

    /// <summary>The full path of an executable on PATH, or null.</summary>
    public static string? FindOnPath(string name)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator))
        {
            if (dir.Length == 0) continue;
            string candidate = Path.Combine(dir, name);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Pipeline.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException($"Pipeline.sln not found above {AppContext.BaseDirectory}.");
    }

    private static string? FindShared()
    {
        string? overridden = Environment.GetEnvironmentVariable("PIPELINE_SHARED");
        if (!string.IsNullOrEmpty(overridden)) return Directory.Exists(overridden) ? Path.GetFullPath(overridden) : null;
        string candidate = Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));
        return Directory.Exists(candidate) ? candidate : null;
    }
}
