namespace Pipeline.Featurizers;

/// <summary>
/// Where Pipeline keeps downloaded backbones and cached features. <c>PIPELINE_CACHE</c> overrides the root; otherwise
/// it is <c>%LOCALAPPDATA%\Pipeline\Cache</c> on Windows and <c>$XDG_CACHE_HOME/pipeline</c> (default
/// <c>~/.cache/pipeline</c>) on Linux and macOS.
/// </summary>
public static class CacheFolders
{
    /// <summary>The environment variable that overrides <see cref="Root"/>.</summary>
    public const string EnvironmentVariable = "PIPELINE_CACHE";

    /// <summary>The cache root, read from the environment on every call.</summary>
    public static string Root
    {
        get
        {
            string? overridden = Environment.GetEnvironmentVariable(EnvironmentVariable);
            if (!string.IsNullOrWhiteSpace(overridden)) return Path.GetFullPath(overridden);
            if (OperatingSystem.IsWindows())
                return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "Pipeline", "Cache");
            string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            if (!string.IsNullOrWhiteSpace(xdg) && Path.IsPathRooted(xdg)) return Path.Combine(xdg, "pipeline");
            return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "pipeline");
        }
    }

    /// <summary>Downloaded backbone files: <c>&lt;root&gt;/backbones</c>.</summary>
    public static string Backbones => Path.Combine(Root, "backbones");

    /// <summary>The feature cache: <c>&lt;root&gt;/features</c>.</summary>
    public static string Features => Path.Combine(Root, "features");
}
