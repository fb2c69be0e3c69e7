using Pipeline.Tests.Infrastructure;

namespace Pipeline.Tests.Trainer;

/// <summary>An unusable --cache is named once on stderr; the run goes on without the cache.</summary>
public sealed class CacheOptionTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cache-cli-").FullName;
    private static readonly string Shapes = Path.Combine(SharedData.RepoRoot, "data", "shapes");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void A_cache_that_is_a_file_is_named_in_one_warning_and_left_alone()
    {
        string file = Path.Combine(_dir, "cache.txt");
        File.WriteAllText(file, "not a folder");
        (int exit, string output, string error) = TrainerCli.Run("train", "--data", Shapes, "--out", Path.Combine(_dir, "m.zip"), "--cache", file);
        Assert.True(exit == 0, error);
        Assert.Contains("saved", output, StringComparison.Ordinal);
        string warning = $"warning: --cache {file}: is a file, not a folder; features are not cached in this run.";
        Assert.Contains(warning, error, StringComparison.Ordinal);
        Assert.Equal(error.IndexOf(warning, StringComparison.Ordinal), error.LastIndexOf(warning, StringComparison.Ordinal));
        Assert.Equal("not a folder", File.ReadAllText(file));
    }

    [Fact]
    public void A_cache_folder_that_cannot_be_written_is_named()
    {
        string folder, reason;
        if (OperatingSystem.IsWindows() || Environment.IsPrivilegedProcess)
        {
            // Permissions do not stop an administrator; /proc refuses new files to everyone.
            Assert.SkipUnless(OperatingSystem.IsLinux() && Directory.Exists("/proc"), "running privileged, and no folder refuses writes to everyone here");
            (folder, reason) = ("/proc", "it takes no new files");
        }
        else
        {
            folder = Directory.CreateDirectory(Path.Combine(_dir, "ro")).FullName;
            File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserExecute);
            reason = "permission denied";
        }
        try
        {
            (int exit, _, string error) = TrainerCli.Run("evaluate", "--model", Path.Combine(_dir, "absent.zip"), "--data", Shapes, "--cache", folder);
            Assert.Contains($"--cache {folder}: cannot write there ({reason})", error, StringComparison.Ordinal);
            Assert.Equal(2, exit); // the model is absent: the warning comes first, before any work
        }
        finally
        {
            if (folder != "/proc" && !OperatingSystem.IsWindows())
                File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }
}
