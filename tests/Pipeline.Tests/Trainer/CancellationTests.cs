using System.Text.Json;
using Pipeline.Tests.Classification;
using Pipeline.Tests.Infrastructure;
using Pipeline.Tests.Persistence;
using Trainer.Commands;

namespace Pipeline.Tests.Trainer;

/// <summary>
/// Ctrl-C (SIGINT) or SIGTERM stops a command the way an error does: it says it was cancelled (in JSON with --json),
/// exits with 130 or 143, leaves no temporary file, and an existing --out as it was.
/// </summary>
public sealed class CancellationTests(ShapesModel model) : IClassFixture<ShapesModel>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cancel-cli-").FullName;
    private static readonly string Shapes = Path.Combine(SharedData.RepoRoot, "data", "shapes");
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(2);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A model.zip already at --out, which a cancelled run must leave byte for byte.</summary>
    private (string Path, byte[] Bytes) ExistingOut()
    {
        string path = Path.Combine(_dir, "m.zip");
        PackageSamples.Full().Save(path, TestContext.Current.CancellationToken);
        return (path, File.ReadAllBytes(path));
    }

    private string[] FilesBesideOut() => [.. Directory.GetFiles(_dir).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_cancelled_train_says_so_and_leaves_an_existing_out_as_it_was(bool json)
    {
        (string output, byte[] before) = ExistingOut();
        (int exit, string stdout, string error) = TrainerCli.Run(new CancellationToken(canceled: true),
            ["train", "--data", Shapes, "--out", output, "--no-cache", .. json ? (string[])["--json"] : []]);

        Assert.Equal(ExitCodes.Interrupted, exit);
        Assert.Equal("", stdout);
        Assert.Contains("cancelled", error, StringComparison.Ordinal);
        if (json)
        {
            JsonElement e = JsonDocument.Parse(error).RootElement;
            Assert.StartsWith("cancelled", e.GetProperty("error").GetString(), StringComparison.Ordinal);
            Assert.Equal("train", e.GetProperty("command").GetString());
            Assert.Equal(ExitCodes.Interrupted, e.GetProperty("exitCode").GetInt32());
        }
        else
        {
            Assert.StartsWith("train: cancelled by request before it finished; --out was not written (an existing file there is unchanged).", error, StringComparison.Ordinal);
        }
        Assert.Equal(before, File.ReadAllBytes(output));
        Assert.Equal(["m.zip"], FilesBesideOut());
    }

    [Theory]
    [InlineData("evaluate")]
    [InlineData("cv")]
    [InlineData("retrain")]
    [InlineData("predict")]
    public void Every_long_command_hands_the_cancellation_to_its_work(string command)
    {
        string saved = Path.Combine(_dir, "shapes.zip");
        model.Result.Save(saved, TestContext.Current.CancellationToken);
        byte[] before = File.ReadAllBytes(saved);
        string[] args = command switch
        {
            "evaluate" => ["evaluate", "--model", saved, "--data", Shapes, "--no-cache"],
            "cv" => ["cv", "--data", Shapes, "--folds", "2", "--no-cache"],
            "retrain" => ["retrain", "--model", saved, "--data", Shapes, "--out", saved, "--no-cache"],
            _ => ["predict", "--model", saved, Shapes],
        };
        (int exit, string stdout, string error) = TrainerCli.Run(new CancellationToken(canceled: true), args);
        Assert.True(exit == ExitCodes.Interrupted, $"exit {exit}: {error}");
        Assert.StartsWith($"{command}: cancelled by request before it finished", error, StringComparison.Ordinal);
        Assert.DoesNotContain("microAccuracy", stdout, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(saved));
        Assert.Equal(["shapes.zip"], FilesBesideOut());
    }

    [Theory]
    [InlineData(2, ExitCodes.Interrupted, "SIGINT (Ctrl-C)", true)]
    [InlineData(15, ExitCodes.Terminated, "SIGTERM", false)]
    public async Task A_signal_to_the_trainer_process_cancels_the_run_and_reports_it(int signal, int expectedExit, string cause, bool json)
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "sends a POSIX signal with kill(2), which Windows does not have");
        // Not a hang to wait out for 2 minutes: a trainer started from a test run that ignores the signal ignores it too.
        Assert.SkipWhen(TrainerProcess.IgnoredHere(signal),
            $"this test run ignores signal {signal} (started in the background by a shell without job control?), so the trainer inherits SIG_IGN and never receives it");
        (string output, byte[] before) = ExistingOut();
        string cache = Path.Combine(_dir, "cache");
        // An mlp that never stops early would train for hours: the signal always comes before the work is done.
        using var trainer = TrainerProcess.Start(["train", "--data", Shapes, "--out", output, "--cache", cache,
            "--head", "mlp", "--epochs", "1000000", "--patience", "0", .. json ? (string[])["--json"] : []]);
        // A feature in the cache means the command is at work (it listens for signals before it starts).
        await trainer.WaitUntilAsync(() => Directory.Exists(cache) && Directory.EnumerateFiles(cache, "*.f32", SearchOption.AllDirectories).Any(), Limit, "featurizing");

        trainer.Signal(signal);
        (int exit, string stdout, string error) = await trainer.WaitForExitAsync(Limit);

        // A process the signal killed also reports 128 + the signal; only the message shows it was cancelled.
        Assert.Equal(expectedExit, exit);
        Assert.Equal("", stdout);
        string expected = $"cancelled by {cause} before it finished; --out was not written (an existing file there is unchanged).";
        Assert.Contains("cancelled", error, StringComparison.Ordinal);
        if (json)
        {
            JsonElement e = JsonDocument.Parse(error).RootElement;
            Assert.Equal(expected, e.GetProperty("error").GetString());
            Assert.Equal(expectedExit, e.GetProperty("exitCode").GetInt32());
        }
        else
        {
            Assert.Equal($"train: {expected}", error.TrimEnd());
        }
        Assert.Equal(before, File.ReadAllBytes(output));
        Assert.Equal(["m.zip"], FilesBesideOut());
    }
}
