using System.Text.Json;
using Pipeline.Tests.Infrastructure;
using Trainer.Commands;

namespace Pipeline.Tests.Trainer;

/// <summary>
/// --out never costs the user a file: train, retrain and preview refuse, before any work, an output that is one of their
/// inputs, an existing file of another kind, or a folder they cannot write in.
/// </summary>
public sealed class OutputFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("out-cli-").FullName;
    private static readonly string Shapes = Path.Combine(SharedData.RepoRoot, "data", "shapes");
    private static readonly string Circle = Directory.GetFiles(Path.Combine(Shapes, "circles")).Order(StringComparer.Ordinal).First();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static void AssertRefused((int Exit, string Out, string Err) run, string path, string reason, string? kept = null, string? keptText = null)
    {
        Assert.Equal(ExitCodes.BadArguments, run.Exit);
        Assert.Contains(path, run.Err, StringComparison.Ordinal);
        Assert.Contains(reason, run.Err, StringComparison.Ordinal);
        if (kept is not null) Assert.Equal(keptText, File.ReadAllText(kept));
    }

    [Fact]
    public void Train_refuses_to_replace_a_file_that_is_not_a_model_zip()
    {
        string notes = Write("notes.txt", "my notes");
        AssertRefused(TrainerCli.Run("train", "--data", Shapes, "--out", notes, "--no-cache"), notes, "is not a model.zip", notes, "my notes");

        // --json reports the file, so a script can tell which one.
        (int exit, _, string error) = TrainerCli.Run("train", "--data", Shapes, "--out", notes, "--no-cache", "--json");
        Assert.Equal(ExitCodes.BadArguments, exit);
        JsonElement record = JsonDocument.Parse(error).RootElement;
        Assert.Equal(notes, record.GetProperty("file").GetString());
        Assert.Equal(2, record.GetProperty("exitCode").GetInt32());
    }

    [Fact]
    public void Train_refuses_an_out_that_is_a_link_to_a_missing_file()
    {
        if (OperatingSystem.IsWindows()) Assert.Skip("creating symbolic links needs privileges on Windows");
        string link = Path.Combine(_dir, "model.zip"), target = Path.Combine(_dir, "gone", "model.zip");
        File.CreateSymbolicLink(link, target);
        (int exit, _, string error) = TrainerCli.Run("train", "--data", Shapes, "--out", link, "--no-cache");
        Assert.Equal(ExitCodes.BadArguments, exit);
        Assert.Contains($"is a link to a missing file ({target})", error, StringComparison.Ordinal);
        Assert.Equal(target, new FileInfo(link).LinkTarget); // the link is left as it was
    }

    [Fact]
    public void Train_refuses_an_out_that_is_its_manifest_or_its_backbone()
    {
        string manifest = Path.Combine(_dir, "t2.tsv");
        string text = "path\tlabel\n" + string.Join("\n", Directory.GetDirectories(Shapes).SelectMany(d => Directory.GetFiles(d).Select(f => $"{f}\t{Path.GetFileName(d)}"))) + "\n";
        File.WriteAllText(manifest, text);
        AssertRefused(TrainerCli.Run("train", "--data", manifest, "--out", manifest, "--no-cache"), manifest, "same file as --data", manifest, text);

        // Through another spelling of the same path, too.
        string indirect = Path.Combine(_dir, ".", "t2.tsv");
        AssertRefused(TrainerCli.Run("train", "--data", manifest, "--out", indirect, "--no-cache"), indirect, "same file as --data", manifest, text);

        string backbone = Write("bb.tflite", "a backbone");
        AssertRefused(TrainerCli.Run("train", "--data", Shapes, "--backbone", backbone, "--out", backbone, "--no-cache"), backbone, "same file as --backbone", backbone, "a backbone");
    }

    [Fact]
    public void Retrain_refuses_an_out_that_is_its_manifest_but_may_replace_the_model_it_starts_from()
    {
        string model = Path.Combine(_dir, "r.zip");
        (int exit, _, string error) = TrainerCli.Run("train", "--data", Shapes, "--out", model, "--no-cache");
        Assert.True(exit == 0, error);
        // Training again to the same model.zip replaces it: it is the kind of file train writes.
        (exit, _, error) = TrainerCli.Run("train", "--data", Shapes, "--out", model, "--no-cache", "--l2", "0.5");
        Assert.True(exit == 0, error);

        string manifest = Write("m.csv", "path,label\n");
        AssertRefused(TrainerCli.Run("retrain", "--model", model, "--data", manifest, "--out", manifest, "--no-cache"), manifest, "same file as --data", manifest, "path,label\n");
        string notes = Write("notes.txt", "keep me");
        AssertRefused(TrainerCli.Run("retrain", "--model", model, "--data", Shapes, "--out", notes, "--no-cache"), notes, "is not a model.zip", notes, "keep me");

        (exit, _, error) = TrainerCli.Run("retrain", "--model", model, "--data", Shapes, "--out", model, "--no-cache");
        Assert.True(exit == 0, error);
        Assert.True(Pipeline.Persistence.ModelFormat.IsModelPackageFile(model));
    }

    [Fact]
    public void Preview_refuses_its_input_image_a_file_that_is_not_a_png_and_other_extensions()
    {
        string image = Path.Combine(_dir, "circle.png");
        File.Copy(Circle, image);
        byte[] original = File.ReadAllBytes(image);
        AssertRefused(TrainerCli.Run("preview", image, "--out", image), image, "same file as the image");
        Assert.Equal(original, File.ReadAllBytes(image));

        string notes = Write("notes.png", "not a png");
        AssertRefused(TrainerCli.Run("preview", image, "--out", notes), notes, "is not a PNG", notes, "not a png");
        string text = Write("notes.txt", "text");
        AssertRefused(TrainerCli.Run("preview", image, "--out", text), text, "name the file with a .png extension", text, "text");
        string jpeg = Path.Combine(_dir, "view.jpg");
        AssertRefused(TrainerCli.Run("preview", image, "--out", jpeg), jpeg, "preview writes PNG data");
        Assert.False(File.Exists(jpeg));

        // A folder: the suggestion is a PNG named after the image, not a model.zip.
        (int exit, _, string error) = TrainerCli.Run("preview", image, "--out", _dir);
        Assert.Equal(ExitCodes.BadArguments, exit);
        Assert.Contains(Path.Combine(_dir, "circle.png"), error, StringComparison.Ordinal);
        Assert.DoesNotContain("model.zip", error, StringComparison.Ordinal);

        // An existing PNG is replaced: it is what preview writes.
        string view = Path.Combine(_dir, "view.png");
        Assert.Equal(0, TrainerCli.Run("preview", image, "--out", view, "--size", "8").Exit);
        Assert.Equal(0, TrainerCli.Run("preview", image, "--out", view, "--size", "16").Exit);
        Assert.Equal(16, Pipeline.Imaging.ImageDecoder.Decode(view).Width);
    }

    [Fact]
    public void An_out_folder_that_cannot_be_written_is_found_before_training()
    {
        string folder;
        if (OperatingSystem.IsWindows() || Environment.IsPrivilegedProcess)
        {
            // Permissions do not stop an administrator; /proc refuses new files to everyone.
            Assert.SkipUnless(OperatingSystem.IsLinux() && Directory.Exists("/proc"), "running privileged, and no folder refuses writes to everyone here");
            folder = "/proc";
        }
        else
        {
            folder = Directory.CreateDirectory(Path.Combine(_dir, "ro")).FullName;
            File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        }
        string target = Path.Combine(folder, "m.zip");
        (int exit, string output, string error) = TrainerCli.Run("train", "--data", Shapes, "--out", target, "--no-cache", "--json");
        Assert.Equal(ExitCodes.BadArguments, exit);
        Assert.Equal("", output);
        JsonElement record = JsonDocument.Parse(error).RootElement;
        Assert.Equal(target, record.GetProperty("file").GetString());
        string reason = folder == "/proc" ? "it takes no new files" : "permission denied";
        Assert.Contains($"cannot write in the folder {folder} ({reason})", record.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(".probe", error, StringComparison.Ordinal);
        if (folder != "/proc" && !OperatingSystem.IsWindows()) File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }
}
