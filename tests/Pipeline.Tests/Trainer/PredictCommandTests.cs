using System.Text.Json;
using Pipeline.Tests.Infrastructure;
using Trainer.Commands;

namespace Pipeline.Tests.Trainer;

/// <summary>predict succeeds only when it predicted something: no image found, a missing file or an undecodable one fail.</summary>
public sealed class PredictCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("predict-cli-").FullName;
    private static readonly string Shapes = Path.Combine(SharedData.RepoRoot, "data", "shapes");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void A_folder_without_images_fails_saying_so_before_the_model_loads()
    {
        // The model does not exist: the inputs are checked first.
        string model = Path.Combine(_dir, "absent.zip");
        string empty = Directory.CreateDirectory(Path.Combine(_dir, "empty")).FullName;
        (int exit, string output, string error) = TrainerCli.Run("predict", "--model", model, empty);
        Assert.Equal(ExitCodes.InvalidInput, exit);
        Assert.Contains($"no image was found in {empty}", error, StringComparison.Ordinal);

        string notes = Directory.CreateDirectory(Path.Combine(_dir, "notes")).FullName;
        File.WriteAllText(Path.Combine(notes, "a.txt"), "text");
        (exit, output, error) = TrainerCli.Run("predict", "--model", model, notes, "--json");
        Assert.Equal(ExitCodes.InvalidInput, exit);
        JsonElement record = JsonDocument.Parse(error).RootElement;
        Assert.Contains("no image was found", record.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(notes, record.GetProperty("file").GetString());
        Assert.Equal("", output);
    }

    [Theory]
    [InlineData("missing.png", "no such image file or folder")]
    [InlineData("", "<image> is empty: name an image file or a folder.")]
    public void A_missing_or_empty_image_argument_exits_2_before_the_model_loads(string name, string reason)
    {
        string path = name.Length == 0 ? "" : Path.Combine(_dir, name);
        (int exit, _, string error) = TrainerCli.Run("predict", "--model", Path.Combine(_dir, "absent.zip"), path);
        Assert.Equal(ExitCodes.BadArguments, exit);
        Assert.Contains(path + (path.Length > 0 ? ": " : "") + reason, error, StringComparison.Ordinal);
        Assert.DoesNotContain("(Parameter", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_link_to_a_missing_image_exits_2_naming_the_link_and_its_target()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "creating a symbolic link needs a privilege on Windows");
        string link = Path.Combine(_dir, "link.png"), target = Path.Combine(_dir, "gone.png");
        File.CreateSymbolicLink(link, target);
        (int exit, _, string error) = TrainerCli.Run("predict", "--model", Path.Combine(_dir, "absent.zip"), link);
        Assert.Equal(ExitCodes.BadArguments, exit);
        Assert.Contains($"{link}: a symbolic link to {target}, which does not exist.", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_named_file_that_is_not_an_image_fails_and_the_others_are_still_classified()
    {
        string model = Path.Combine(_dir, "model.zip");
        (int exit, _, string error) = TrainerCli.Run("train", "--data", Shapes, "--out", model, "--no-cache");
        Assert.True(exit == 0, error);
        string fake = Path.Combine(_dir, "photo.jpg");
        File.WriteAllText(fake, "text, not a JPEG");
        string circle = Directory.GetFiles(Path.Combine(Shapes, "circles"))[0];
        string output;
        (exit, output, error) = TrainerCli.Run("predict", "--model", model, fake, circle);
        Assert.Equal(ExitCodes.InvalidInput, exit);
        Assert.Contains("photo.jpg", error, StringComparison.Ordinal);
        Assert.Contains(circle + ":", output, StringComparison.Ordinal);
    }

    [Fact]
    public void An_image_in_a_folder_that_does_not_decode_is_excluded_not_failed()
    {
        string model = Path.Combine(_dir, "model.zip");
        (int exit, _, string error) = TrainerCli.Run("train", "--data", Shapes, "--out", model, "--no-cache");
        Assert.True(exit == 0, error);
        string folder = Directory.CreateDirectory(Path.Combine(_dir, "photos")).FullName;
        string circle = Directory.GetFiles(Path.Combine(Shapes, "circles"))[0], good = Path.Combine(folder, "a.png"), truncated = Path.Combine(folder, "b.png");
        File.Copy(circle, good);
        File.WriteAllBytes(truncated, File.ReadAllBytes(circle)[..300]); // a PNG signature, then too little
        string output;
        (exit, output, error) = TrainerCli.Run("predict", "--model", model, folder, "--json");
        Assert.True(exit == ExitCodes.Ok, error);
        JsonElement[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal(good, lines[0].GetProperty("image").GetString());
        JsonElement summary = lines[^1];
        Assert.Equal(0, summary.GetProperty("failed").GetInt32());
        Assert.Equal(2, summary.GetProperty("images").GetInt32());
        Assert.Equal(1, summary.GetProperty("predicted").GetInt32());
        JsonElement excluded = Assert.Single(summary.GetProperty("excluded").EnumerateArray());
        Assert.Equal(truncated, excluded.GetProperty("path").GetString());
        Assert.StartsWith("invalid Png image at byte", excluded.GetProperty("reason").GetString(), StringComparison.Ordinal);

        (exit, _, error) = TrainerCli.Run("predict", "--model", model, truncated); // named, it is an error
        Assert.Equal(ExitCodes.InvalidInput, exit);
        Assert.Contains(truncated, error, StringComparison.Ordinal);

        File.Delete(good); // a folder whose every image fails: not one prediction is not a success
        (exit, output, error) = TrainerCli.Run("predict", "--model", model, folder);
        Assert.Equal(ExitCodes.InvalidInput, exit);
        Assert.Contains("b.png", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Control_characters_in_a_file_name_are_escaped_in_text()
    {
        if (OperatingSystem.IsWindows()) Assert.Skip("Windows file names cannot hold control characters");
        string folder = Directory.CreateDirectory(Path.Combine(_dir, "odd")).FullName;
        string name = Path.Combine(folder, "a\u001b[31mred\rb.txt"); // an ESC sequence a terminal would obey, a carriage return
        File.WriteAllText(name, "not an image");
        (int exit, string output, string error) = TrainerCli.Run("predict", "--model", Path.Combine(_dir, "absent.zip"), folder);
        Assert.Equal(ExitCodes.InvalidInput, exit); // no image found, checked before the model loads
        Assert.DoesNotContain('\u001b', output + error);
        Assert.Contains("a\\u001B[31mred\\u000Db.txt: not a JPEG", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Train_with_a_backbone_file_that_does_not_exist_exits_2()
    {
        string backbone = Path.Combine(_dir, "nonexistent.onnx");
        (int exit, _, string error) = TrainerCli.Run("train", "--data", Shapes, "--backbone", backbone, "--out", Path.Combine(_dir, "m.zip"), "--no-cache");
        Assert.Equal(ExitCodes.BadArguments, exit);
        Assert.Contains($"--backbone {backbone}: no such file", error, StringComparison.Ordinal);
        // A registry name is not a path: it still goes to the registry (and fails there, offline or not, as unknown).
        (exit, _, error) = TrainerCli.Run("train", "--data", Shapes, "--backbone", "no-such-backbone-name", "--out", Path.Combine(_dir, "m.zip"), "--no-cache");
        Assert.Equal(ExitCodes.InvalidInput, exit);
        Assert.Contains("registry", error, StringComparison.Ordinal);
    }
}
