using Pipeline.Classification;
using Pipeline.Datasets;
using Pipeline.Prediction;
using Pipeline.Tests.Infrastructure;
using Trainer.Commands;

namespace Pipeline.Tests.Trainer;

/// <summary>
/// An unusable --cache is named once on stderr; the run goes on without the cache, or with it read-only when the folder
/// can be read but not written.
/// </summary>
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
    public void A_cache_folder_with_no_cache_is_refused_as_a_contradiction_before_any_work()
    {
        string folder = Path.Combine(_dir, "c");
        (int exit, _, string error) = TrainerCli.Run("train", "--data", Shapes, "--out", Path.Combine(_dir, "m.zip"), "--cache", folder, "--no-cache");
        Assert.Equal(2, exit);
        Assert.Contains($"--cache {folder} and --no-cache contradict each other", error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(folder));
        Assert.False(File.Exists(Path.Combine(_dir, "m.zip")));
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

    [Fact]
    public void A_cache_folder_that_cannot_be_made_is_named_and_the_run_goes_without_it()
    {
        string file = Path.Combine(_dir, "file.txt");
        File.WriteAllText(file, "a file where a folder would have to be");
        string folder = Path.Combine(file, "cache");
        var error = new StringWriter();
        TrainerOptions options = CacheFolderCheck.Apply(new TrainerOptions(), folder, noCache: false, new CommandOutput(TextWriter.Null, error, json: false, "evaluate"));
        Assert.False(options.UseFeatureCache);
        Assert.Contains($"--cache {folder}: cannot write there (", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("features are not cached in this run.", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_cache_folder_that_can_be_read_but_not_written_serves_its_features_and_is_left_as_it_was()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "the folder is made unwritable with Unix permissions or chattr");
        string cache = Path.Combine(_dir, "cache"), model = Path.Combine(_dir, "m.zip");
        (int trained, _, string trainError) = TrainerCli.Run("train", "--data", Shapes, "--out", model, "--cache", cache, "--threads", "2");
        Assert.True(trained == 0, trainError);
        string[] before = Listing(cache);
        Action restore = MakeUnwritable(cache);
        try
        {
            (int exit, string output, string error) = TrainerCli.Run("evaluate", "--model", model, "--data", Shapes, "--cache", cache, "--threads", "2");
            Assert.True(exit == 0, error);
            Assert.Contains("microAccuracy", output, StringComparison.Ordinal);
            string warning = $"warning: --cache {cache}: cannot write there (permission denied); the cache is read-only in this run: hits are read, new features are not stored.";
            Assert.Contains(warning, error, StringComparison.Ordinal);
            Assert.Equal(error.IndexOf(warning, StringComparison.Ordinal), error.LastIndexOf(warning, StringComparison.Ordinal));
            Assert.Equal(before, Listing(cache));

            // The options the command line gave the library: every image's features come from the folder.
            TrainerOptions options = CacheFolderCheck.Apply(new TrainerOptions { Threads = 2 }, cache, noCache: false, new CommandOutput(TextWriter.Null, TextWriter.Null, json: false, "evaluate"));
            Assert.True(options is { UseFeatureCache: true, FeatureCacheReadOnly: true });
            using ImageClassifier classifier = ImageClassifier.Load(model);
            FeaturizationReport report = new ImageClassificationTrainer(options).Evaluate(classifier, ImageDataset.Load(Shapes), TestContext.Current.CancellationToken).Featurization;
            Assert.True(report.Images > 0);
            Assert.Equal((report.Images, 0), (report.CacheHits, report.Computed));
            Assert.Equal(before, Listing(cache));
        }
        finally
        {
            restore();
        }
    }

    /// <summary>Every file under <paramref name="folder"/> with its length and write time.</summary>
    private static string[] Listing(string folder) =>
        Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(f => $"{f} {new FileInfo(f).Length} {File.GetLastWriteTimeUtc(f):O}")
            .ToArray();

    /// <summary>
    /// Makes <paramref name="folder"/> refuse new files and returns what undoes it. Permission bits do not stop a
    /// privileged process, the immutable attribute does; the test skips, saying why, where neither is possible.
    /// </summary>
    private static Action MakeUnwritable(string folder)
    {
        if (!OperatingSystem.IsWindows() && !Environment.IsPrivilegedProcess)
        {
            File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserExecute);
            return () =>
            {
                if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            };
        }
        string chattr = SharedData.RequireTool("chattr", "e2fsprogs");
        (int exit, string message) = RunTool(chattr, "+i", folder);
        Assert.SkipUnless(exit == 0, $"running privileged, and 'chattr +i' (which stops root too) failed here: {message}");
        return () => Assert.Equal(0, RunTool(chattr, "-i", folder).Exit);
    }

    private static (int Exit, string Error) RunTool(string tool, params string[] arguments)
    {
        var start = new System.Diagnostics.ProcessStartInfo(tool, arguments) { RedirectStandardError = true };
        using var process = System.Diagnostics.Process.Start(start)!;
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, error.Trim());
    }
}
