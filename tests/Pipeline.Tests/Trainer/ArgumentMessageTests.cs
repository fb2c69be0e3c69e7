using Pipeline.Tests.Infrastructure;
using Trainer.Commands;

namespace Pipeline.Tests.Trainer;

/// <summary>
/// Wrong arguments get a message in the user's terms: the option, the file, what was expected. Never .NET's
/// "(Parameter 'x')" or "Actual value was", nor a parser's complaint about a file of the wrong kind.
/// </summary>
public sealed class ArgumentMessageTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("messages-cli-").FullName;
    private static readonly string Shapes = Path.Combine(SharedData.RepoRoot, "data", "shapes");
    private static readonly string Circle = Directory.GetFiles(Path.Combine(Shapes, "circles"))[0];

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private void AssertMessage(int expectedExit, string expected, params string[] args)
    {
        (int exit, string output, string error) = TrainerCli.Run(args);
        Assert.True(expectedExit == exit, $"exit {exit}: {error}");
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.DoesNotContain("(Parameter", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Actual value was", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
        Assert.DoesNotContain("saved", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Data_that_is_empty_an_image_or_a_model_zip_says_what_data_must_be()
    {
        string output = Path.Combine(_dir, "m.zip");
        AssertMessage(ExitCodes.BadArguments, "--data is empty", "train", "--data", "", "--out", output);
        AssertMessage(ExitCodes.BadArguments, $"--data {Circle}: is an image; --data must be a folder with one subfolder per class, or a .csv/.tsv manifest",
            "train", "--data", Circle, "--out", output);
        string model = Path.Combine(_dir, "model.zip");
        Pipeline.Tests.Persistence.PackageSamples.Full().Save(model, TestContext.Current.CancellationToken);
        AssertMessage(ExitCodes.BadArguments, $"--data {model}: is a model.zip; --data must be a folder", "train", "--data", model, "--out", output);
        AssertMessage(ExitCodes.BadArguments, $"--data {model}: is a model.zip", "evaluate", "--model", model, "--data", model);
        Assert.False(File.Exists(output));
    }

    [Theory]
    [InlineData("", "is empty")]
    [InlineData("   ", "is only white space")]
    public void A_blank_path_is_refused_naming_the_option(string blank, string how)
    {
        string model = Path.Combine(_dir, "model.zip"), output = Path.Combine(_dir, "out.zip");
        (string Option, string[] Args)[] cases =
        [
            ("--data", ["train", "--data", blank, "--out", output]),
            ("--out", ["train", "--data", Shapes, "--out", blank]),
            ("--backbone", ["train", "--data", Shapes, "--out", output, "--backbone", blank]),
            ("--cache", ["train", "--data", Shapes, "--out", output, "--cache", blank]),
            ("--backbone-cache", ["train", "--data", Shapes, "--out", output, "--backbone-cache", blank]),
            ("--cache", ["cv", "--data", Shapes, "--cache", blank]),
            ("--model", ["retrain", "--model", blank, "--data", Shapes, "--out", output]),
            ("--out", ["retrain", "--model", model, "--data", Shapes, "--out", blank]),
            ("--model", ["evaluate", "--model", blank, "--data", Shapes]),
            ("--data", ["evaluate", "--model", model, "--data", blank]),
            ("--cache", ["evaluate", "--model", model, "--data", Shapes, "--cache", blank]),
            ("--model", ["predict", "--model", blank, Circle]),
            ("<image>", ["predict", "--model", model, Circle, blank]),
            ("<image>", ["preview", blank, "--out", Path.Combine(_dir, "p.png")]),
            ("--out", ["preview", Circle, "--out", blank]),
            ("--model", ["preview", Circle, "--out", Path.Combine(_dir, "p.png"), "--model", blank]),
            ("--model", ["bench", "--model", blank]),
            ("--model", ["inspect", "--model", blank]),
            ("<case-dir>", ["check-onnx", blank]),
        ];
        foreach ((string option, string[] args) in cases)
            AssertMessage(ExitCodes.BadArguments, $"{option} {how}: name ", args);
        // A --cache of spaces was taken as a folder name, and the folder made in the current folder.
        if (blank.Length > 0) Assert.False(Directory.Exists(blank), $"a folder named '{blank}' was created in {Environment.CurrentDirectory}");
    }

    [Theory]
    [InlineData("1", "--validation-fraction 1 is out of range: use 0 up to but not including 1.")]
    [InlineData("-0.1", "--validation-fraction -0.1 is out of range")]
    [InlineData("NaN", "--validation-fraction NaN is out of range")]
    public void A_validation_fraction_out_of_range_names_the_option(string value, string expected)
        => AssertMessage(ExitCodes.BadArguments, expected, "train", "--data", Shapes, "--out", Path.Combine(_dir, "m.zip"), "--validation-fraction", value);

    [Fact]
    public void Folds_out_of_range_name_the_option_and_the_image_count()
    {
        AssertMessage(ExitCodes.BadArguments, "--folds 1000: more folds than the 128 images; use 2 to 128.", "cv", "--data", Shapes, "--folds", "1000", "--no-cache");
        AssertMessage(ExitCodes.BadArguments, "--folds 1 is out of range: use 2 or more.", "cv", "--data", Shapes, "--folds", "1", "--no-cache");
    }

    [Fact]
    public void A_model_option_naming_a_folder_or_a_network_says_a_model_zip_was_expected()
    {
        string folder = Directory.CreateDirectory(Path.Combine(_dir, "dirm")).FullName;
        AssertMessage(ExitCodes.BadArguments, $"--model {folder}: is a folder; expected a model.zip file.", "predict", "--model", folder, Circle);
        AssertMessage(ExitCodes.BadArguments, $"--model {folder}: is a folder", "evaluate", "--model", folder, "--data", Shapes);
        AssertMessage(ExitCodes.BadArguments, $"--model {folder}: is a folder", "retrain", "--model", folder, "--data", Shapes, "--out", Path.Combine(_dir, "n.zip"));

        string network = Path.Combine(_dir, "net.tflite");
        File.WriteAllBytes(network, [0, 0, 0, 0, (byte)'T', (byte)'F', (byte)'L', (byte)'3', 1, 2, 3]);
        AssertMessage(ExitCodes.BadArguments, $"--model {network}: is a network file, not a model.zip; train a model on it with `train --data <images> --backbone {network}`",
            "predict", "--model", network, Circle);
        // Recognized by its identifier whatever its name.
        string renamed = Path.Combine(_dir, "net.bin");
        File.Copy(network, renamed);
        AssertMessage(ExitCodes.BadArguments, "is a network file, not a model.zip", "predict", "--model", renamed, Circle);
    }

    [Fact]
    public void A_corrupt_backbone_file_is_named_in_the_error()
    {
        string backbone = Path.Combine(_dir, "fuzz.tflite");
        byte[] bytes = new byte[300];
        new Random(7).NextBytes(bytes);
        "TFL3"u8.CopyTo(bytes.AsSpan(4));
        File.WriteAllBytes(backbone, bytes);
        AssertMessage(ExitCodes.InvalidInput, "fuzz.tflite: ", "train", "--data", Shapes, "--backbone", backbone, "--out", Path.Combine(_dir, "m.zip"), "--no-cache");
        (_, _, string error) = TrainerCli.Run("train", "--data", Shapes, "--backbone", backbone, "--out", Path.Combine(_dir, "m.zip"), "--no-cache");
        Assert.DoesNotContain("<model>", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--bogus", "Unrecognized command or argument '--bogus'.")]
    [InlineData("--threads 999", "--threads 999 is out of range")]
    public void With_json_a_command_line_that_does_not_parse_reports_json_errors(string flags, string expected)
    {
        (int exit, string output, string error) = TrainerCli.Run(["train", "--json", .. flags.Split(' ')]);
        Assert.Equal(ExitCodes.BadArguments, exit);
        Assert.Equal("", output);
        System.Text.Json.JsonElement[] errors = [.. error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => System.Text.Json.JsonDocument.Parse(line).RootElement)];
        Assert.Contains(errors, e => e.GetProperty("error").GetString()!.Contains(expected, StringComparison.Ordinal));
        Assert.Contains(errors, e => e.GetProperty("error").GetString() == "Option '--data' is required.");
        Assert.All(errors, e =>
        {
            Assert.Equal("train", e.GetProperty("command").GetString());
            Assert.Equal(2, e.GetProperty("exitCode").GetInt32());
        });
    }

    [Theory]
    [InlineData("bench", "an .onnx or .tflite network file")]
    [InlineData("inspect", "an .onnx or .tflite network, or a model.zip")]
    public void Bench_and_inspect_say_a_folder_is_not_a_network(string command, string expected)
    {
        string folder = Directory.CreateDirectory(Path.Combine(_dir, "dirm")).FullName;
        AssertMessage(ExitCodes.BadArguments, $"--model {folder}: is a folder; expected {expected}.", command, "--model", folder);
    }

    [Fact]
    public void Running_out_of_memory_is_a_plain_message_not_a_stack_trace()
    {
        var command = new System.CommandLine.Command("hungry");
        CommandKit.SetAction(command, (_, _, _) => throw new OutOfMemoryException("Array dimensions exceeded supported range."));
        var root = new System.CommandLine.RootCommand { command };
        var error = new StringWriter();
        int exit = CommandKit.Invoke(root, ["hungry"], new System.CommandLine.InvocationConfiguration { Output = new StringWriter(), Error = error }, TestContext.Current.CancellationToken);
        Assert.Equal(ExitCodes.InternalError, exit);
        Assert.StartsWith("hungry: out of memory: this run needs more memory than the machine has", error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error.ToString(), StringComparison.Ordinal);
    }
}
